"""New knowledge without a restart: `faktabot ingest` in another process while the bot runs.

The bot calls Knowledge.refresh() before each answer; it notices the other connection's
commit (PRAGMA data_version) and drops its cached statistics.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from fake_bot_api import parse_html
from faktabot.knowledge import Knowledge
from telegram_fixtures import FAKTABOT, NEW_ANSWER, NEW_ARTICLE, NEW_QUESTION, ROOT, StartBot


async def test_an_article_ingested_by_the_cli_is_answered_without_restart(
    start_bot: StartBot, tmp_path: Path
) -> None:
    db = tmp_path / "live.db"
    bot = await start_bot(knowledge=Knowledge.open(db))
    before = await bot.ask_private(NEW_QUESTION)
    assert before.text.startswith("Det ved jeg ikke")
    sources_before = await bot.ask_private("/kilder")  # warm every cache there is
    assert "Thor" not in sources_before.text

    article = tmp_path / "thor.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    ingest = await asyncio.create_subprocess_exec(
        *FAKTABOT,
        "ingest",
        str(article),
        "--title",
        "Thor er indviet",
        "--db",
        str(db),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(ingest.communicate(), 30)
    assert ingest.returncode == 0, err.decode()
    assert "1 added" in out.decode()

    after = await bot.ask_private(NEW_QUESTION)
    assert NEW_ANSWER in parse_html(after.text)[0]
    assert "Thor er indviet" in after.text
    assert "Thor er indviet" in (await bot.ask_private("/kilder")).text
