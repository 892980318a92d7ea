"""Fixtures for end-to-end bot tests: a seeded Knowledge, the fake Bot API and a running bot.

The real Application from ``build_application`` polls the fake server over HTTP, exactly as
it would poll Telegram; nothing in the bot is mocked.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fake_bot_api import Call, FakeBotApi
from faktabot.bot.app import build_application
from faktabot.bot.config import Config
from faktabot.knowledge import Knowledge
from telegram import Update
from telegram.ext import Application

TOKEN = "123456789:AAHfakeTokenForFaktabotTests_0123456"
SECRET = TOKEN.split(":", 1)[1]
ROOT = Path(__file__).resolve().parent.parent
FAKTABOT = (sys.executable, "-m", "faktabot.bot.cli")  # the `faktabot` command, for subprocesses

# Seed-article questions (the bundled article about Israel, Gaza and the USA, March 2024).
PENTAGON = "Hvem er talsmand for Pentagon?"
HOSTAGES = "Hvor mange gidsler befinder sig i Gaza?"
OFF_TOPIC = "Hvad er hovedstaden i Frankrig?"
# An article the seed database does not have, for adding while the bot runs.
NEW_ARTICLE = (
    "date 2027-05-02\n"
    "Havvindmølleparken Thor ud for Thorsminde blev indviet i går af energiministeren.\n\n"
    "Parken har 72 vindmøller og kan levere strøm til en million husstande."
)
NEW_QUESTION = "Hvor mange vindmøller har havvindmølleparken Thor?"
NEW_ANSWER = "Parken har 72 vindmøller og kan levere strøm til en million husstande."
# Questions the seed article does not answer but comes close to; the first the matcher
# declines *with* alternatives is used where buttons are needed.
NEAR_MISSES = (
    "Hvad spiste Kirby til morgenmad?",
    "Hvem vandt fodboldkampen i Gaza?",
    "Hvad mener Frankrig om våbenhvilen?",
    "Hvornår blev Netanyahu født?",
)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the bundled seed article (seeded once per session)."""
    path = tmp_path_factory.mktemp("knowledge") / "faktabot.sqlite"
    Knowledge.open(path)
    return path


@pytest.fixture
def kb(seeded_db: Path) -> Knowledge:
    return Knowledge.open(seeded_db)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(TOKEN) as server:
        yield server


@dataclass
class Harness:
    """A running bot, the fake API it talks to and the knowledge it answers from."""

    app: Application
    api: FakeBotApi
    kb: Knowledge

    async def reply_to(self, update: dict, *, timeout: float = 5.0) -> Call:
        """Wait for the bot's sendMessage that replies to the message in `update`."""
        message = update["message"]
        chat_id, message_id = message["chat"]["id"], message["message_id"]

        def replies(calls: list[Call]) -> list[Call]:
            return [
                c
                for c in calls
                if c.method == "sendMessage"
                and c.ok
                and int(c.params["chat_id"]) == chat_id
                and (c.params.get("reply_parameters") or {}).get("message_id") == message_id
            ]

        found = await self.api.wait_for(
            replies, timeout=timeout, what=f"a reply to message {message_id} in {chat_id}"
        )
        return found[0]

    async def ask_private(self, text: str, **kw: object) -> Call:
        return await self.reply_to(await self.api.send_private(text, **kw))

    async def ask_group(self, text: str, **kw: object) -> Call:
        return await self.reply_to(await self.api.send_group(text, **kw))


StartBot = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def start_bot(api: FakeBotApi, kb: Knowledge) -> AsyncIterator[StartBot]:
    """Start the real application against the fake API.

    Config fields can be overridden as keywords (workers default to 0: lookups in the
    event loop); `knowledge` replaces the seeded Knowledge.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def start(knowledge: Knowledge | None = None, **overrides: object) -> Harness:
            # Questions are looked up in the event loop unless a test asks for worker
            # processes (tests/test_workers.py does): starting them costs about a second.
            base = Config(token=TOKEN, api_base_url=api.base_url, workers=0)
            config = replace(base, **overrides)
            knowledge = knowledge or kb
            app = build_application(knowledge, config)
            if app.post_shutdown:  # as run_polling does, after shutdown
                stack.push_async_callback(app.post_shutdown, app)
            await stack.enter_async_context(app)  # initialize: getMe; shutdown on exit
            await app.post_init(app)  # run_polling does this between initialize and polling
            await app.start()
            stack.push_async_callback(app.stop)
            await app.updater.start_polling(
                poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
            )
            stack.push_async_callback(app.updater.stop)
            return Harness(app, api, knowledge)

        yield start


@pytest.fixture
async def bot(start_bot: StartBot) -> Harness:
    return await start_bot()


def near_miss(kb: Knowledge) -> str:
    """A question the seed article does not answer but has close facts for."""
    for question in NEAR_MISSES:
        result = kb.ask(question)
        if result.answer is None and result.alternatives:
            return question
    raise AssertionError(f"none of {NEAR_MISSES} is declined with alternatives")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bot_env(api: FakeBotApi, **settings: str) -> dict[str, str]:
    """Environment for a `faktabot` subprocess that talks to the fake API.

    Bot settings from the caller's environment are dropped, and the health endpoint is off
    unless `settings` turn it on, so parallel runs never fight over a port.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FAKTABOT_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        FAKTABOT_HEALTH_PORT="0",
        PYTHONIOENCODING="utf-8",
    )
    env.update(settings)
    return env


def run_python(
    *args: str, env: Mapping[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """This interpreter with `args`, run from the repository root, talking UTF-8."""
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env={**env, "PYTHONIOENCODING": "utf-8"},
        timeout=timeout,
        check=False,
    )
