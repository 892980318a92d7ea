"""Admins add articles by sending files, remove them with /fjern and see /stats.

Uploads go through the fake Bot API's getFile and file download, as with Telegram.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi, parse_html
from faktabot.bot import admin
from faktabot.bot.config import Config, ConfigError
from faktabot.knowledge import Knowledge
from faktabot.knowledge.errors import IngestError
from faktabot.knowledge.parse import parse_bytes
from telegram_fixtures import NEW_ANSWER, NEW_ARTICLE, NEW_QUESTION, PENTAGON, Harness, StartBot

ADMIN = FakeBotApi.user(4242, "Anne")
STRANGER = FakeBotApi.user(5151, "Bo")


@pytest.fixture
async def bot(start_bot: StartBot, tmp_path: Path) -> Harness:
    kb = Knowledge.open(tmp_path / "admin.db")
    return await start_bot(knowledge=kb, admins=frozenset({ADMIN["id"]}), max_upload=4000)


def article_count(bot: Harness) -> int:
    return len(bot.kb.articles())


async def upload(bot: Harness, data: bytes, name: str, **kw: object) -> str:
    """Send a document and return the text of the bot's reply to it."""
    kw.setdefault("user", ADMIN)
    update = await bot.api.send_document(data, name, **kw)
    return parse_html((await bot.reply_to(update)).text)[0]


async def test_admin_uploads_an_article_and_it_answers_from_it(bot: Harness) -> None:
    before = article_count(bot)
    assert bot.kb.ask(NEW_QUESTION).answer is None
    reply = await upload(bot, NEW_ARTICLE.encode(), "thor.txt", caption="Thor er indviet")
    assert reply.startswith("Tilføjet: 1 af 1 artikler.")
    assert "Thor er indviet (2 sætninger)" in reply
    assert article_count(bot) == before + 1
    assert bot.api.calls_to("getFile") and bot.api.calls_to("downloadFile")
    answer = await bot.ask_private(NEW_QUESTION)
    assert NEW_ANSWER in parse_html(answer.text)[0]
    assert "Thor er indviet" in answer.text  # the caption became the title

    again = await upload(bot, NEW_ARTICLE.encode(), "thor-igen.txt")
    assert again.startswith("Tilføjet: 0 af 1") and "1 kendte jeg i forvejen" in again
    assert article_count(bot) == before + 1


async def test_admin_uploads_json_lines(bot: Harness) -> None:
    lines = [
        {"title": "Første", "text": "Borgmesteren i Aarhus hedder Anders Winnerskjold."},
        {"title": "Anden", "text": "Odense Zoo fik to nye giraffer i marts.", "date": "2027-03"},
    ]
    data = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
    before = article_count(bot)
    reply = await upload(bot, data, "nyheder.jsonl")
    assert reply.startswith("Tilføjet: 2 af 2") and "Første" in reply and "Anden" in reply
    assert article_count(bot) == before + 2


async def test_a_non_admin_upload_is_refused_politely(bot: Harness) -> None:
    before = article_count(bot)
    reply = await upload(bot, NEW_ARTICLE.encode(), "thor.txt", user=STRANGER)
    assert reply == admin.ONLY_ADMINS_UPLOAD
    assert not bot.api.calls_to("getFile"), "a stranger's file is never downloaded"
    assert article_count(bot) == before


async def test_an_oversized_document_is_refused_before_download(bot: Harness) -> None:
    before = article_count(bot)
    reply = await upload(bot, ("Ord. " * 1000).encode(), "stor.txt")
    assert reply == "Filen er for stor. Jeg tager højst imod 4 kB."
    assert not bot.api.calls_to("getFile")
    assert article_count(bot) == before


async def test_a_document_without_a_size_is_measured_after_download(bot: Harness) -> None:
    before = article_count(bot)
    reply = await upload(bot, ("Ord. " * 1000).encode(), "stor.txt", declared_size=None)
    assert "for stor" in reply
    assert bot.api.calls_to("downloadFile"), "the size was only known after the download"
    assert article_count(bot) == before


async def test_non_utf8_document_is_rejected_with_its_line(bot: Harness) -> None:
    before = article_count(bot)
    latin1 = "Første linje er fin.\nAnden linje på latin-1: Søren Ærø.\n".encode("latin-1")
    reply = await upload(bot, latin1, "latin.txt")
    assert reply.startswith("Filen blev ikke tilføjet")
    assert "latin.txt:1: not UTF-8" in reply  # "ø" in the first line is the first bad byte
    assert "Ingenting er gemt" in reply
    assert article_count(bot) == before


async def test_a_bad_line_in_json_lines_stores_nothing(bot: Harness) -> None:
    before = article_count(bot)
    data = (
        b'{"title": "God", "text": "Her er en helt almindelig artikel om vejret."}\n'
        b'{"title": "Ogs\xc3\xa5 god", "text": "Og her er en til om trafikken i Vejle."}\n'
        b'{"title": "D\xc3\xa5rlig", "text": 42}\n'
    )
    reply = await upload(bot, data, "tre.jsonl")
    assert 'tre.jsonl:3: "text" must be a string' in reply
    assert article_count(bot) == before, "the two good lines were not stored either"


async def test_wrong_file_type_is_refused(bot: Harness) -> None:
    reply = await upload(bot, b"%PDF-1.7", "artikel.pdf")
    assert "txt" in reply and "jsonl" in reply
    assert not bot.api.calls_to("getFile")


async def test_remove_and_stats(bot: Harness) -> None:
    await upload(bot, NEW_ARTICLE.encode(), "thor.txt", caption="Thor er indviet")
    thor = next(a for a in bot.kb.articles() if a.title == "Thor er indviet")
    await bot.ask_private(PENTAGON)
    await bot.ask_private("Hvad hedder Frankrigs hovedstad?")

    stats = parse_html((await bot.ask_private("/stats", user=ADMIN)).text)[0]
    counts = bot.kb.store.counts()
    assert f"Artikler: {counts['articles']}" in stats
    assert f"Sætninger: {counts['facts']}" in stats
    assert "Spørgsmål siden start: 2" in stats
    assert "besvaret: 1" in stats and "«det ved jeg ikke»: 1" in stats

    listing = parse_html((await bot.ask_private("/fjern", user=ADMIN)).text)[0]
    assert f"#{thor.id} Thor er indviet" in listing

    refused = await bot.ask_private(f"/fjern {thor.id}", user=STRANGER)
    assert refused.text == admin.ONLY_ADMINS
    assert (await bot.ask_private("/stats", user=STRANGER)).text == admin.ONLY_ADMINS
    assert any(a.id == thor.id for a in bot.kb.articles())

    removed = parse_html((await bot.ask_private(f"/fjern {thor.id}", user=ADMIN)).text)[0]
    assert removed.startswith("Fjernet:") and "Thor er indviet" in removed
    assert all(a.id != thor.id for a in bot.kb.articles())
    assert bot.kb.ask(NEW_QUESTION).answer is None
    missing = await bot.ask_private(f"/fjern {thor.id}", user=ADMIN)
    assert f"ingen artikel med nummer {thor.id}" in missing.text


def test_parse_bytes_reads_like_the_cli() -> None:
    [article] = parse_bytes(NEW_ARTICLE.encode(), "thor.txt", title="Thor")
    assert (article.title, article.date, article.source) == ("Thor", "2027-05-02", "thor.txt")
    assert article.text.startswith("Havvindmølleparken Thor")
    with pytest.raises(IngestError, match=r"^x\.txt:3: not UTF-8 text \(byte 0xff"):
        parse_bytes(b"en\nto\n\xff", "x.txt")
    with pytest.raises(IngestError, match=r"^x\.txt:2: binary file"):
        parse_bytes(b"en\n\x00", "x.txt")
    with pytest.raises(IngestError, match=r"^y\.jsonl:2: not valid JSON"):
        parse_bytes(b'{"text": "Et ord."}\n{oops\n', "y.jsonl")


def test_admins_and_upload_limit_from_the_environment() -> None:
    config = Config.from_env({"FAKTABOT_ADMINS": "12, 34,,56", "FAKTABOT_MAX_UPLOAD": "1000"})
    assert config.admins == {12, 34, 56} and config.max_upload == 1000
    default = Config.from_env({})
    assert default.admins == frozenset() and default.max_upload == 2 * 1024 * 1024
    for bad in (
        {"FAKTABOT_ADMINS": "anne"},
        {"FAKTABOT_ADMINS": "@anne"},
        {"FAKTABOT_MAX_UPLOAD": "0"},
        {"FAKTABOT_MAX_UPLOAD": str(21 * 1024 * 1024)},
    ):
        with pytest.raises(ConfigError):
            Config.from_env(bad)


async def test_a_large_upload_keeps_every_other_chat_answered(
    start_bot: StartBot, tmp_path: Path
) -> None:
    kb = Knowledge.open(tmp_path / "busy.db")
    bot = await start_bot(knowledge=kb, admins=frozenset({ADMIN["id"]}), max_upload=8_000_000)
    lines = [
        json.dumps(
            {
                "title": f"Budget {n}",
                "text": f"Byrådet i Aby vedtog budget {n} i aftes. "
                f"Borgmesteren kalder budget {n} en sejr for de {n % 97} skoler.",
            },
            ensure_ascii=False,
        )
        for n in range(20_000)
    ]
    uploaded = await bot.api.send_document("\n".join(lines).encode(), "arkiv.jsonl", user=ADMIN)
    asked = await bot.api.send_private(PENTAGON, user=STRANGER)  # while the upload is stored
    answer = await bot.reply_to(asked, timeout=30)
    confirmed = await bot.reply_to(uploaded, timeout=120)
    assert parse_html(confirmed.text)[0].startswith("Tilføjet: 20000 af 20000")
    sent = bot.api.calls_to("sendMessage", ok=True)
    assert sent.index(answer) < sent.index(confirmed)  # the question did not wait for it
    assert len(bot.kb.articles()) == 1 + 20_000
