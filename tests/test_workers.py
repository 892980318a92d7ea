"""Questions looked up in worker processes (bot.asking), with updates handled concurrently.

The bot runs for real against the fake Bot API; the workers are real processes that open
the same database file. Nothing here measures speed (bench/fullpath.py does).
"""

from __future__ import annotations

import asyncio
import importlib.machinery
import logging
import os
import signal
import sqlite3
from pathlib import Path

import httpcore._synchronization
import pytest
from fake_bot_api import FakeBotApi
from faktabot.bot import render
from faktabot.bot.app import build_application
from faktabot.bot.asking import Asker, ChatOrder, Recipe, WorkerError
from faktabot.bot.config import Config, ConfigError
from faktabot.knowledge import Knowledge, Store
from faktabot.knowledge.view import Limits
from telegram import Update
from telegram_fixtures import HOSTAGES, OFF_TOPIC, PENTAGON, TOKEN, Harness, StartBot

QUESTIONS = (PENTAGON, HOSTAGES, OFF_TOPIC)


def expected_reply(kb: Knowledge, question: str) -> str:
    """What the bot sends for `question`, worked out here in the test process."""
    return render.reply_html(kb.ask(question))


def asker(bot: Harness) -> Asker:
    return bot.app.bot_data.asker


@pytest.fixture
async def bot(start_bot: StartBot) -> Harness:
    """A bot with two worker processes (elsewhere tests look questions up in the loop)."""
    return await start_bot(workers=2)


# --- the workers -----------------------------------------------------------------------------


async def test_questions_are_answered_in_a_worker_process(bot: Harness) -> None:
    def not_here(question: str) -> None:
        raise AssertionError("the bot's own Knowledge was asked")

    bot.kb.ask = not_here  # the bot process cannot answer any more; its workers can
    reply = await bot.ask_private(PENTAGON)
    assert "Pat Ryder" in reply.text
    pids = asker(bot).pids
    assert pids and os.getpid() not in pids
    assert len(pids) == bot.app.bot_data.config.workers


async def test_without_workers_the_event_loop_answers(start_bot: StartBot) -> None:
    bot = await start_bot(workers=0)
    reply = await bot.ask_private(PENTAGON)
    assert reply.text == expected_reply(bot.kb, PENTAGON)
    assert asker(bot).pids == []


def test_an_in_memory_database_is_answered_in_the_event_loop() -> None:
    kb = Knowledge(Store.open(":memory:"))
    assert Asker(kb, 4).workers == 0  # other processes cannot see it


def test_a_worker_opens_the_knowledge_the_bot_has(tmp_path: Path) -> None:
    # Every option that shapes an answer reaches the worker, or it would answer otherwise.
    limits = Limits(match_budget=7, leading_articles=1)
    kb = Knowledge(Store.open(tmp_path / "k.db"), candidates=17, limits=limits)
    recipe = Recipe.of(kb)
    assert recipe is not None
    twin = recipe.open()
    assert (twin.limits, twin.candidates, twin.params) == (limits, 17, kb.params)
    assert twin.view.limits == limits


async def test_inline_search_runs_in_the_workers(bot: Harness) -> None:
    bot.kb.search = None  # would fail if the bot process searched itself
    await bot.api.inline_query("talsmand Pentagon")
    call = await bot.api.wait_call("answerInlineQuery")
    assert call.ok, call.error
    assert any(
        "Pat Ryder" in r["input_message_content"]["message_text"] for r in call.params["results"]
    )


async def test_a_failing_lookup_in_a_worker_gives_the_friendly_error(
    start_bot: StartBot, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb = Knowledge.open(tmp_path / "broken.db")
    bot = await start_bot(knowledge=kb, workers=2)
    assert "Pat Ryder" in (await bot.ask_private(PENTAGON)).text
    with sqlite3.connect(tmp_path / "broken.db") as db:  # the workers' next lookup fails
        db.execute("DROP TABLE facts_fts")
    with caplog.at_level(logging.ERROR, logger="faktabot.bot.handlers"):
        reply = await bot.ask_private(HOSTAGES)
    assert reply.text == render.ERROR
    assert "Traceback" not in reply.text and "facts_fts" not in reply.text
    record = next(r for r in caplog.records if r.name == "faktabot.bot.handlers")
    assert isinstance(record.exc_info[1], sqlite3.OperationalError)
    assert "_serve" in str(record.exc_info[1].__cause__)  # the worker's own traceback is kept


async def test_a_worker_that_dies_is_replaced(bot: Harness) -> None:
    assert "Pat Ryder" in (await bot.ask_private(PENTAGON)).text
    dead = asker(bot).pids[0]
    os.kill(dead, signal.SIGKILL)
    await bot.api.wait_for(lambda _: dead not in asker(bot).pids, what="the death noticed")
    for question in QUESTIONS:  # answered by the workers left and a new one
        assert (await bot.ask_private(question)).text == expected_reply(bot.kb, question)
    pids = asker(bot).pids
    assert dead not in pids and len(pids) == bot.app.bot_data.config.workers


async def test_a_question_whose_worker_dies_fails_alone(start_bot: StartBot) -> None:
    bot = await start_bot(workers=1)
    (pid,) = asker(bot).pids
    # Killed before the bot has seen it go: the question sent to it fails, not the bot.
    request = asyncio.create_task(asker(bot).ask(PENTAGON))
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(WorkerError):
        await request
    assert "Pat Ryder" in (await bot.ask_private(PENTAGON)).text  # a new worker took over


async def test_workers_stop_with_the_bot(start_bot: StartBot) -> None:
    bot = await start_bot(workers=2)
    processes = [w.process for w in asker(bot)._running]
    await bot.app.post_shutdown(bot.app)
    assert all(not p.is_alive() for p in processes)
    assert [p.exitcode for p in processes] == [0, 0]  # told to stop, not terminated


# --- concurrency -----------------------------------------------------------------------------


async def test_many_chats_at_once_each_get_their_own_answer(start_bot: StartBot) -> None:
    bot = await start_bot(workers=2, user_rate=1000)
    users = [FakeBotApi.user(7000 + i, f"Spørger {i}") for i in range(12)]
    asked = []
    for round_ in range(3):
        for i, user in enumerate(users):
            question = QUESTIONS[(i + round_) % len(QUESTIONS)]
            asked.append((await bot.api.send_private(question, user=user), question))
    for update, question in asked:
        reply = await bot.reply_to(update, timeout=30)
        assert int(reply.params["chat_id"]) == update["message"]["chat"]["id"]
        assert reply.text == expected_reply(bot.kb, question)


async def test_one_chat_is_answered_in_the_order_it_asked(start_bot: StartBot) -> None:
    bot = await start_bot(workers=2, user_rate=1000)
    user = FakeBotApi.user(7100, "Ivrig")
    others = [FakeBotApi.user(7200 + i) for i in range(4)]
    asked = []
    for i in range(12):
        asked.append(await bot.api.send_private(QUESTIONS[i % 3], user=user))
        await bot.api.send_private(QUESTIONS[(i + 1) % 3], user=others[i % 4])  # traffic
    await bot.api.wait_sent(12, chat_id=user["id"], timeout=30)
    replied_to = [c.params["reply_parameters"]["message_id"] for c in bot.api.sent(user["id"])]
    assert replied_to == [u["message"]["message_id"] for u in asked]


class Slow:
    """An update's handling that finishes only when the test says so."""

    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name, self.go = log, name, asyncio.Event()

    async def run(self) -> None:
        self.log.append(f"{self.name} started")
        await self.go.wait()
        self.log.append(f"{self.name} done")


def private_update(update_id: int, chat_id: int) -> Update:
    chat = {"id": chat_id, "type": "private", "first_name": "X"}
    message = {"message_id": update_id, "date": 0, "chat": chat, "text": "?"}
    return Update.de_json({"update_id": update_id, "message": message}, None)


async def test_chat_order_waits_within_a_chat_but_not_across_chats() -> None:
    order = ChatOrder(8)
    log: list[str] = []
    first, second, other = Slow(log, "a1"), Slow(log, "a2"), Slow(log, "b1")
    tasks = [
        asyncio.create_task(order.process_update(private_update(1, 10), first.run())),
        asyncio.create_task(order.process_update(private_update(2, 10), second.run())),
        asyncio.create_task(order.process_update(private_update(3, 20), other.run())),
    ]
    for _ in range(5):
        await asyncio.sleep(0)
    assert log == ["a1 started", "b1 started"]  # chat 10's second update waits its turn
    other.go.set()
    second.go.set()  # ready, but still behind the first
    for _ in range(5):
        await asyncio.sleep(0)
    assert log == ["a1 started", "b1 started", "b1 done"]
    first.go.set()
    await asyncio.gather(*tasks)
    assert log[3:] == ["a1 done", "a2 started", "a2 done"]
    assert order._locks == {}  # nothing kept for chats that are quiet


async def test_chat_order_closes_an_update_cancelled_before_its_turn() -> None:
    order = ChatOrder(8)
    log: list[str] = []
    first, second = Slow(log, "a1"), Slow(log, "a2")
    waiting = second.run()
    running = asyncio.create_task(order.process_update(private_update(1, 10), first.run()))
    queued = asyncio.create_task(order.process_update(private_update(2, 10), waiting))
    await asyncio.sleep(0)
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert waiting.cr_frame is None  # closed: no "never awaited" warning
    first.go.set()
    await running
    assert log == ["a1 started", "a1 done"]


# --- settings and the HTTP client ------------------------------------------------------------


def test_faktabot_workers_is_read_from_the_environment() -> None:
    assert Config.from_env({"FAKTABOT_WORKERS": "0"}).workers == 0
    assert Config.from_env({"FAKTABOT_WORKERS": "3"}).workers == 3
    assert Config.from_env({}).workers >= 1
    for bad in ("-1", "mange", "65"):
        with pytest.raises(ConfigError):
            Config.from_env({"FAKTABOT_WORKERS": bad})


async def test_httpcore_does_not_search_for_sniffio_on_every_request(
    kb: Knowledge, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_application(kb, Config(token=TOKEN, workers=0))
    searched: list[str] = []
    real = importlib.machinery.PathFinder.find_spec

    def find_spec(name: str, *args: object, **kwargs: object) -> object:
        searched.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", find_spec)
    for _ in range(3):  # httpcore asks this for every request it sends
        assert httpcore._synchronization.current_async_library() == "asyncio"
    assert searched == []


async def test_a_follow_up_and_small_talk_are_answered_in_the_workers(bot: Harness) -> None:
    bot.kb.converse = None  # the bot process cannot reply any more; its workers can
    await bot.ask_private("Hvem er Israels forsvarsminister?")
    follow = await bot.ask_private("Hvem skal han mødes med tirsdag?")  # the turn travels
    assert "Jake Sullivan" in follow.text and "(om Yoav Gallant)" in follow.text
    hello = await bot.ask_private("hej")
    assert hello.text == render.SMALL_TALK["greeting"]
