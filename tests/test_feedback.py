"""The curator's log: votes (one per user and answer), declined questions, retention, privacy.

Storage is tested on the real SQLite store; the Telegram side end to end through the fake
Bot API (the real Application, nothing mocked).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi, texts
from faktabot.bot import curator, render
from faktabot.bot.app import build_application
from faktabot.bot.config import Config, ConfigError
from faktabot.knowledge import ArticleInput, Knowledge, Store
from faktabot.knowledge.feedback import CHANGED, NEW, SAME, Feedback
from faktabot.knowledge.schema import SCHEMA_VERSION
from telegram_fixtures import OFF_TOPIC, PENTAGON, TOKEN, StartBot, near_miss

KAREN = FakeBotApi.user(734519862, "Karen")  # digits that occur nowhere else
OLE = FakeBotApi.user(598231746, "Ole")
NOW = datetime(2024, 4, 2, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for Feedback: retention is about days, and tests do not wait."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def kb(tmp_path: Path) -> Knowledge:
    """A seeded database of this test's own, so its log starts empty."""
    return Knowledge.open(tmp_path / "curator.sqlite")


def rows(kb: Knowledge, sql: str, *args: object) -> list[tuple]:
    return kb.store.db.execute(sql, list(args)).fetchall()


def every_cell(kb: Knowledge) -> list[str]:
    """Every value in every table of the database, as text."""
    db = kb.store.db
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    cells = []
    for table in tables:
        for row in db.execute(f'SELECT * FROM "{table}"'):
            cells.extend(str(v) for v in row)
    return cells


# --- storage ---------------------------------------------------------------------------------


def test_a_vote_is_stored_changed_and_never_doubled(kb: Knowledge) -> None:
    feedback = Feedback(kb.store)
    asked_id = feedback.log(kb.ask(PENTAGON), chat_type="private", user_id=KAREN["id"])
    assert feedback.vote(asked_id, KAREN["id"], up=True) == NEW
    assert feedback.vote(asked_id, KAREN["id"], up=True) == SAME
    assert feedback.vote(asked_id, KAREN["id"], up=False) == CHANGED
    assert rows(kb, "SELECT asked_id, vote FROM votes") == [(asked_id, -1)]
    assert feedback.vote(asked_id, OLE["id"], up=True) == NEW  # another user: another vote
    assert sorted(v for (v,) in rows(kb, "SELECT vote FROM votes")) == [-1, 1]
    assert feedback.vote(asked_id + 1000, KAREN["id"], up=True) is None  # unknown answer


def test_the_question_and_its_answer_are_recoverable_for_a_vote(kb: Knowledge) -> None:
    feedback = Feedback(kb.store, clock=Clock())
    result = kb.ask(PENTAGON)
    asked = feedback.asked(feedback.log(result, chat_type="supergroup", user_id=KAREN["id"]))
    assert asked is not None
    assert (asked.question, asked.fact_id, asked.chat_type) == (
        PENTAGON,
        result.answer.fact.id,
        "supergroup",
    )
    assert asked.at == "2024-04-02 12:00:00"


def test_a_declined_question_is_logged_with_its_alternatives(kb: Knowledge) -> None:
    feedback = Feedback(kb.store)
    result = kb.ask(near_miss(kb))
    assert result.answer is None and result.alternatives
    feedback.log(result, chat_type="private", user_id=KAREN["id"])
    [(question, fact_id, alternatives, user_hash)] = rows(
        kb, "SELECT question, fact_id, alternatives, user_hash FROM asked"
    )
    assert (question, fact_id) == (result.question, None)
    assert json.loads(alternatives) == [hit.fact.id for hit in result.alternatives]
    assert user_hash == feedback.user_hash(KAREN["id"]) != str(KAREN["id"])


def test_user_hashes_are_salted_per_database(kb: Knowledge, tmp_path: Path) -> None:
    first, again = Feedback(kb.store), Feedback(Store.open(tmp_path / "curator.sqlite"))
    assert first.user_hash(KAREN["id"]) == again.user_hash(KAREN["id"])  # salt kept in meta
    assert first.user_hash(KAREN["id"]) != first.user_hash(OLE["id"])
    other = Feedback(Store.open(tmp_path / "other.sqlite"))
    assert other.user_hash(KAREN["id"]) != first.user_hash(KAREN["id"])
    assert rows(kb, "SELECT count(*) FROM meta WHERE key = 'salt'") == [(1,)]


def test_retention_purges_old_questions_and_votes(kb: Knowledge) -> None:
    clock = Clock(NOW - timedelta(days=100))
    feedback = Feedback(kb.store, retention_days=90, clock=clock)
    old = feedback.log(kb.ask(PENTAGON), chat_type="private", user_id=KAREN["id"])
    feedback.vote(old, KAREN["id"], up=False)
    feedback.log(kb.ask(OFF_TOPIC), chat_type="private", user_id=KAREN["id"])
    clock.now = NOW - timedelta(days=10)
    recent = feedback.log(kb.ask(PENTAGON), chat_type="group", user_id=OLE["id"])
    feedback.vote(recent, OLE["id"], up=True)
    clock.now = NOW

    assert feedback.purge() == 3  # two old questions and the vote on one of them
    assert rows(kb, "SELECT id FROM asked") == [(recent,)]
    assert rows(kb, "SELECT asked_id FROM votes") == [(recent,)]


def test_purging_runs_at_most_daily_from_the_answer_path(kb: Knowledge) -> None:
    clock = Clock()
    feedback = Feedback(kb.store, retention_days=1, clock=clock)

    def log() -> None:
        feedback.log(kb.ask(PENTAGON), chat_type="private", user_id=1)

    log()  # the first question purges
    clock.now = NOW + timedelta(hours=30)
    assert feedback.purge_if_due() == 1  # a day has passed: the 30-hour-old row goes
    clock.now = NOW  # a row stamped with an old time (another process's clock, say)
    log()
    clock.now = NOW + timedelta(hours=40)
    log()  # ten hours after the last purge: the 40-hour-old row stays for now
    assert rows(kb, "SELECT count(*) FROM asked") == [(2,)]
    clock.now = NOW + timedelta(hours=55)
    log()  # a day after the last purge: it goes
    assert rows(kb, "SELECT at FROM asked ORDER BY at") == [
        ("2024-04-04 04:00:00",),
        ("2024-04-04 19:00:00",),
    ]


async def test_the_bot_purges_old_rows_when_it_starts_not_when_it_is_built(
    kb: Knowledge, start_bot
) -> None:
    feedback = Feedback(kb.store, clock=Clock(datetime.now(UTC) - timedelta(days=40)))
    feedback.log(kb.ask(PENTAGON), chat_type="private", user_id=KAREN["id"])
    build_application(kb, Config(token=TOKEN, retention_days=30))
    assert rows(kb, "SELECT count(*) FROM asked") == [(1,)]  # building writes nothing
    await start_bot(knowledge=kb, retention_days=30)  # post_init does the start-up work
    assert rows(kb, "SELECT count(*) FROM asked") == [(0,)]


def test_retention_days_come_from_the_environment() -> None:
    assert Config.from_env({}).retention_days == 90
    assert Config.from_env({"FAKTABOT_RETENTION_DAYS": "30"}).retention_days == 30
    for bad in ("0", "-5", "nogle", "1.5"):
        with pytest.raises(ConfigError, match="FAKTABOT_RETENTION_DAYS"):
            Config.from_env({"FAKTABOT_RETENTION_DAYS": bad})


def test_a_version_1_database_is_migrated_without_losing_articles(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    store = Store.open(path)
    db = store.db
    for trigger in ("articles_version_ai", "articles_version_ad", "articles_version_au"):
        db.execute(f"DROP TRIGGER {trigger}")
    for table in ("votes", "asked", "meta"):
        db.execute(f"DROP TABLE {table}")
    db.execute("PRAGMA user_version = 1")
    db.conn.commit()
    articles = store.articles()

    upgraded = Knowledge.open(path)
    assert upgraded.store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert upgraded.articles() == articles
    Feedback(upgraded.store).log(upgraded.ask(PENTAGON), chat_type="private", user_id=1)
    assert upgraded.ask(PENTAGON).answer is not None


def test_logging_does_not_rebuild_the_index_statistics_but_ingesting_does(kb: Knowledge) -> None:
    feedback = Feedback(kb.store)
    kb.refresh()
    view = kb.view
    feedback.log(kb.ask(PENTAGON), chat_type="private", user_id=1)
    assert kb.refresh() is False and kb.view is view
    list(kb.ingest([ArticleInput("Solen skinner i Aarhus i dag. Det er varmt.", title="Vejret")]))
    assert kb.refresh() is True and kb.view is not view
    assert kb.ask("Hvor skinner solen?").answer is not None


# --- on Telegram -----------------------------------------------------------------------------


def _buttons(markup: dict) -> list[tuple[str, str]]:
    """The vote buttons (an answer also has "Mere", below them)."""
    rows = markup["inline_keyboard"]
    return [
        (b["text"], b["callback_data"]) for row in rows for b in row if b["callback_data"][0] == "v"
    ]


async def test_votes_on_telegram_are_stored_changed_and_the_keyboard_edited(
    start_bot: StartBot, kb: Knowledge
) -> None:
    bot = await start_bot(knowledge=kb)
    reply = await bot.ask_private(PENTAGON, user=KAREN)
    (up_text, up), (down_text, down) = _buttons(reply.params["reply_markup"])
    assert (up_text, down_text) == ("👍", "👎")
    asked_id = int(up.removeprefix("v:+:"))
    assert down == f"v:-:{asked_id}" and len(down.encode()) <= 64
    message = bot.api.messages[(KAREN["id"], reply.result["message_id"])]

    await bot.api.press_button(message, up, user=KAREN)
    edited = await bot.api.wait_call("editMessageReplyMarkup")
    assert edited.ok, edited.error
    assert _buttons(edited.params["reply_markup"]) == [
        ("Tak for din feedback 👍", f"v:+:{asked_id}"),
        ("Skift til 👎", f"v:-:{asked_id}"),
    ]
    thanked = await bot.api.wait_call("answerCallbackQuery")
    assert thanked.ok and thanked.params["text"] == curator.VOTE_SAVED[NEW]
    assert rows(kb, "SELECT asked_id, vote FROM votes") == [(asked_id, 1)]

    # The same user changes their mind: the vote changes, it is not added.
    await bot.api.press_button(message, f"v:-:{asked_id}", user=KAREN)
    edited = await bot.api.wait_call("editMessageReplyMarkup", count=2)
    assert edited.ok, edited.error
    assert _buttons(edited.params["reply_markup"])[0] == (
        "Tak for din feedback 👎",
        f"v:-:{asked_id}",
    )
    assert (await bot.api.wait_call("answerCallbackQuery", count=2)).params["text"] == (
        curator.VOTE_SAVED[CHANGED]
    )
    # Tapping the thank-you again changes nothing and edits nothing.
    await bot.api.press_button(message, f"v:-:{asked_id}", user=KAREN)
    await bot.ask_private("/help", user=KAREN)  # updates are handled in order: the tap is done
    assert (await bot.api.wait_call("answerCallbackQuery", count=3)).params["text"] == (
        curator.VOTE_SAVED[SAME]
    )
    assert len(bot.api.calls_to("editMessageReplyMarkup")) == 2
    assert not bot.api.calls_to("editMessageReplyMarkup", ok=False)
    assert rows(kb, "SELECT vote FROM votes") == [(-1,)]
    assert rows(kb, "SELECT question, fact_id, chat_type FROM asked WHERE id = ?", asked_id) == [
        (PENTAGON, kb.ask(PENTAGON).answer.fact.id, "private")
    ]


async def test_group_members_vote_once_each(start_bot: StartBot, kb: Knowledge) -> None:
    bot = await start_bot(knowledge=kb)
    reply = await bot.ask_group(f"/spoerg {PENTAGON}", user=KAREN)
    up = _buttons(reply.params["reply_markup"])[0][1]
    chat_id = int(reply.params["chat_id"])
    message = bot.api.messages[(chat_id, reply.result["message_id"])]
    await bot.api.press_button(message, up, user=KAREN)
    await bot.api.wait_call("answerCallbackQuery")
    await bot.api.press_button(message, up, user=OLE)  # the keyboard already says so: no edit
    await bot.api.wait_call("answerCallbackQuery", count=2)
    # Quick taps: both arrive with the first keyboard; the vain edit is shrugged off.
    await bot.api.press_button(message, up.replace("+", "-"), user=OLE)
    await bot.api.press_button(message, up.replace("+", "-"), user=KAREN)
    await bot.ask_group(f"/spoerg {PENTAGON}", user=OLE)  # the sentinel
    assert len(bot.api.calls_to("answerCallbackQuery", ok=True)) == 4
    assert len(bot.api.calls_to("editMessageReplyMarkup", ok=True)) == 2
    assert render.ERROR not in texts(bot.api.sent())
    assert rows(kb, "SELECT count(*), sum(vote) FROM votes") == [(2, -2)]
    assert rows(kb, "SELECT DISTINCT chat_type FROM asked") == [("supergroup",)]


async def test_a_declined_question_on_telegram_is_logged(
    start_bot: StartBot, kb: Knowledge
) -> None:
    bot = await start_bot(knowledge=kb)
    question = near_miss(kb)
    reply = await bot.ask_private(question, user=KAREN)
    assert reply.text.startswith("Det ved jeg ikke")
    assert all(d.startswith("f:") for _, d in _buttons(reply.params["reply_markup"]))
    [(asked, fact_id, alternatives)] = rows(kb, "SELECT question, fact_id, alternatives FROM asked")
    expected = [hit.fact.id for hit in kb.ask(question).alternatives]
    assert (asked, fact_id, json.loads(alternatives)) == (question, None, expected)


async def test_a_vote_on_a_purged_answer_is_refused_kindly(
    start_bot: StartBot, kb: Knowledge
) -> None:
    bot = await start_bot(knowledge=kb)
    reply = await bot.ask_private(PENTAGON, user=KAREN)
    kb.store.db.execute("DELETE FROM asked")
    kb.store.db.conn.commit()
    message = bot.api.messages[(KAREN["id"], reply.result["message_id"])]
    await bot.api.press_button(message, _buttons(reply.params["reply_markup"])[0][1], user=KAREN)
    answered = await bot.api.wait_call("answerCallbackQuery")
    assert answered.params["text"] == curator.VOTE_GONE
    await bot.ask_private("/help", user=KAREN)
    assert not bot.api.calls_to("editMessageReplyMarkup")
    assert rows(kb, "SELECT count(*) FROM votes") == [(0,)]


async def test_no_raw_user_id_anywhere_in_the_database(start_bot: StartBot, kb: Knowledge) -> None:
    bot = await start_bot(knowledge=kb)
    reply = await bot.ask_private(PENTAGON, user=KAREN)
    await bot.ask_private(OFF_TOPIC, user=KAREN)
    group = await bot.ask_group(f"/spoerg {PENTAGON}", user=OLE)
    for user, call, chat_id in [(KAREN, reply, KAREN["id"]), (OLE, group, group.params["chat_id"])]:
        message = bot.api.messages[(int(chat_id), call.result["message_id"])]
        await bot.api.press_button(message, _buttons(call.params["reply_markup"])[1][1], user=user)
    await bot.api.wait_call("editMessageReplyMarkup", count=2)
    await bot.ask_private("/hvorfor", user=KAREN)

    assert rows(kb, "SELECT count(*) FROM asked") == [(3,)]
    assert rows(kb, "SELECT count(*) FROM votes") == [(2,)]
    cells = every_cell(kb)
    for user in (KAREN, OLE):
        digits = str(user["id"])
        assert not [c for c in cells if digits in c], f"user id {digits} stored"
        assert not [c for c in cells if user["first_name"] in c]
