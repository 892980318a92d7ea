"""A database that cannot be used is one clear line, never a traceback (issue 17 item 6)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi
from faktabot.knowledge import ArticleInput, Knowledge, Store
from faktabot.knowledge.database import storage_error
from faktabot.knowledge.errors import StorageError
from telegram_fixtures import ROOT, TOKEN, free_port, run_python

PENTAGON = "Hvem er talsmand for Pentagon?"


def faktabot(*args: str, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FAKTABOT_", "TELEGRAM_"))}
    return run_python("-m", "faktabot.bot.cli", *args, env={**clean, **(env or {})})


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("faktabot: ")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_file_that_is_no_database_is_named_in_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(5000))
    done = faktabot("--db", str(garbage), "articles")
    assert done.returncode == 3
    assert "damaged or not a faktabot database" in one_line(done.stderr)
    with pytest.raises(StorageError, match=r"garbage\.db"):
        Store.open(garbage)


def test_a_truncated_database_is_named_in_one_line(tmp_path: Path) -> None:
    whole = tmp_path / "whole.db"
    Knowledge.open(whole).store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cut = tmp_path / "cut.db"
    cut.write_bytes(whole.read_bytes()[:20_000])
    done = faktabot("--db", str(cut), "ask", PENTAGON)
    assert done.returncode == 3
    assert "cut.db is damaged" in one_line(done.stderr)


def test_debug_shows_the_traceback_a_one_line_error_hides(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(5000))
    done = faktabot("--debug", "--db", str(garbage), "articles")
    assert done.returncode != 0 and "Traceback" in done.stderr and "StorageError" in done.stderr


def test_a_database_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    done = faktabot("--db", str(blocker / "sub" / "faktabot.db"), "articles")
    assert done.returncode == 3
    assert "cannot make the folder" in one_line(done.stderr)


def test_a_read_only_database_answers_and_refuses_writes_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    Knowledge.open(path).store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    kb = Knowledge(Store.open(path, read_only=True))
    assert kb.ask(PENTAGON).answer is not None  # no -shm file, no lock: reads work
    with pytest.raises(sqlite3.OperationalError) as refused:
        list(kb.ingest([ArticleInput("Byrådet vedtog budgettet i aftes.", title="Budget")]))
    assert "read-only" in str(storage_error(path, refused.value))


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root writes anyway")
def test_a_database_on_a_read_only_folder_is_read_as_it_stands(tmp_path: Path) -> None:
    folder = tmp_path / "mount"
    folder.mkdir()
    Knowledge.open(folder / "ro.db").store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name in ("ro.db-wal", "ro.db-shm"):
        (folder / name).unlink(missing_ok=True)
    folder.chmod(0o555)
    try:
        asked = faktabot("--db", str(folder / "ro.db"), "ask", PENTAGON)
        assert asked.returncode == 0 and "Pat Ryder" in asked.stdout
        article = tmp_path / "new.txt"
        article.write_text("Byrådet vedtog budgettet i aftes.", encoding="utf-8")
        written = faktabot("--db", str(folder / "ro.db"), "ingest", str(article))
        assert written.returncode == 3 and "read-only" in one_line(written.stderr)
    finally:
        folder.chmod(0o755)


def test_a_full_disk_is_one_line_that_says_it_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    kb = Knowledge.open(path)
    kb.store.db.execute("PRAGMA max_page_count = 12")  # what a full disk looks like to SQLite
    texts = [
        f"Byrådet i Aby vedtog budget nummer {n} i aftes med stort flertal." for n in range(300)
    ]
    with pytest.raises(sqlite3.OperationalError) as full:
        list(kb.ingest([ArticleInput(t, title=f"Budget {n}") for n, t in enumerate(texts)]))
    message = str(storage_error(path, full.value))
    assert message.startswith(f"cannot write {path}") and "full" in message
    assert kb.ask(PENTAGON).answer is not None  # what was there is still whole


def test_running_without_a_network_logs_one_line_a_try_and_keeps_trying(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens: as with no network
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKTABOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN="123456789:AAHfakeTokenForFaktabotTests_0123456",
        TELEGRAM_API_BASE_URL=closed,
        FAKTABOT_HEALTH_PORT="0",
        FAKTABOT_WORKERS="0",
        PYTHONIOENCODING="utf-8",
    )
    bot = subprocess.Popen(
        [sys.executable, "-m", "faktabot.bot.cli", "--db", str(tmp_path / "net.db"), "run"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    tries: list[str] = []
    assert bot.stderr is not None
    try:
        while len(tries) < 2:  # after 1 s, then 2 s
            line = bot.stderr.readline()
            assert line, "the bot ended instead of trying again"
            assert "Traceback" not in line
            if "Cannot reach Telegram" in line:
                tries.append(line)
        assert bot.poll() is None  # still trying
    finally:
        bot.terminate()
        rest = bot.communicate(timeout=30)[1]
    assert "trying again in 1 s" in tries[0] and "trying again in 2 s" in tries[1]
    assert "Traceback" not in rest
    assert "AAHfakeToken" not in "".join(tries) + rest


async def test_the_bot_starts_answering_once_telegram_can_be_reached(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKTABOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot",
        FAKTABOT_HEALTH_PORT="0",
        FAKTABOT_WORKERS="0",
        PYTHONIOENCODING="utf-8",
    )
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "faktabot.bot.cli",
        "--db",
        str(tmp_path / "late.db"),
        "run",
        cwd=ROOT,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert bot.stderr is not None
        while b"Cannot reach Telegram" not in await asyncio.wait_for(bot.stderr.readline(), 30):
            pass
        async with FakeBotApi(TOKEN, port=port) as api:  # the network is back
            update = await api.send_private(PENTAGON)
            reply = await api.wait_call("sendMessage", timeout=30)
            assert reply.params["chat_id"] == update["message"]["chat"]["id"]
            assert "Pat Ryder" in reply.params["text"]
    finally:
        bot.terminate()
        await bot.wait()


def test_ingest_refuses_a_database_with_damaged_pages_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    kb = Knowledge.open(path)
    list(kb.ingest([ArticleInput(f"Byrådet vedtog budget {n} i aftes.") for n in range(200)]))
    kb.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    kb.store.db.close()
    data = bytearray(path.read_bytes())
    page = 16_384
    data[3 * page : 3 * page + 2000] = os.urandom(2000)  # a page in the middle, not the header
    path.write_bytes(bytes(data))
    article = tmp_path / "new.txt"
    article.write_text("Havnen i Aabyby får nye kraner til foråret.", encoding="utf-8")
    done = faktabot("--db", str(path), "ingest", str(article))
    assert done.returncode == 3
    line = one_line(done.stderr)
    assert "damaged" in line and ".recover" in line and "nothing was written" in line
    assert path.read_bytes() == bytes(data)
