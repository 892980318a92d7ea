"""Conversation on Telegram, end to end: follow-ups, "Mere", small talk (issue 18).

The real Application talks HTTP to the fake Bot API; `faktabot chat` runs the same dialogues.
"""

from __future__ import annotations

import asyncio
import html
import io

import pytest
from fake_bot_api import FakeBotApi
from faktabot.bot import console, render
from faktabot.knowledge import Knowledge
from faktabot.knowledge.model import ArticleInput
from telegram_fixtures import StartBot

MINISTER = "Hvem er Israels forsvarsminister?"
MEETING = "Hvem skal han mødes med tirsdag?"
SULLIVAN = "Jake Sullivan"
KAREN = FakeBotApi.user(734519862, "Karen")
OLE = FakeBotApi.user(598231746, "Ole")
CLOCK_ARTICLES = [
    ArticleInput(
        f"Byrådet mødtes klokken {hour}.30 i rådhusets sal nummer {n}. "
        f"Mødet sluttede, da klokken var {hour + 2}, efter en lang debat om budgettet.",
        title=f"Byrådsmøde {n}",
    )
    for n, hour in enumerate(range(8, 20), 1)
]


def text_of(call: object) -> str:
    return html.unescape(call.params["text"])  # type: ignore[attr-defined]


async def test_a_follow_up_in_a_private_chat_quotes_the_sentence_it_asks_for(
    start_bot: StartBot,
) -> None:
    bot = await start_bot()
    first = await bot.ask_private(MINISTER)
    assert "Yoav Gallant" in text_of(first)
    reply = await bot.ask_private(MEETING)
    assert SULLIVAN in text_of(reply) and "<blockquote>" in reply.params["text"]
    assert "(om Yoav Gallant)" in text_of(reply)  # the user sees what the context lent


async def test_hej_gets_a_greeting_and_no_sentence(start_bot: StartBot) -> None:
    bot = await start_bot()
    reply = await bot.ask_private("hej")
    assert reply.params["text"] == render.SMALL_TALK["greeting"]
    assert "<blockquote>" not in reply.params["text"] and "reply_markup" not in reply.params


async def test_the_time_is_out_of_scope_even_with_many_articles_about_the_clock(
    start_bot: StartBot,
) -> None:
    kb = Knowledge.open(":memory:")
    list(kb.ingest(CLOCK_ARTICLES))
    searched = kb.ask("hvad er klokken?")  # a search alone finds the clock sentences
    assert searched.answer is not None or searched.alternatives
    bot = await start_bot(knowledge=kb)
    reply = await bot.ask_private("hvad er klokken?")
    assert render.OUT_OF_SCOPE in text_of(reply)
    assert "Byrådet" not in text_of(reply)


async def test_mere_shows_the_neighbouring_sentences_as_a_button_and_as_a_message(
    start_bot: StartBot,
) -> None:
    bot = await start_bot()
    reply = await bot.ask_private("Hvem skal Gallant mødes med tirsdag?")
    rows = reply.params["reply_markup"]["inline_keyboard"]
    more = [b for row in rows for b in row if b["text"] == render.MORE_BUTTON]
    assert len(more) == 1
    message = bot.api.messages[(reply.params["chat_id"], reply.result["message_id"])]
    await bot.api.press_button(message, more[0]["callback_data"])
    shown = await bot.api.wait_call("sendMessage", count=2)
    assert f"<b>{html.escape('Kirby siger')}" in shown.params["text"]  # the quoted one, marked
    assert "Lloyd Austin" in text_of(shown)  # and its neighbour, unmarked
    assert "<b>Pentagon" not in shown.params["text"]
    typed = await bot.ask_private("fortæl mere")
    assert typed.params["text"] == shown.params["text"]


async def test_mere_before_any_answer_says_so(start_bot: StartBot) -> None:
    bot = await start_bot()
    reply = await bot.ask_private("mere")
    assert reply.params["text"] == render.NOTHING_BEFORE


async def test_in_a_group_two_users_conversations_do_not_mix(start_bot: StartBot) -> None:
    bot = await start_bot()
    await bot.ask_group(f"/spoerg {MINISTER}", user=KAREN)
    other = await bot.ask_group(f"/spoerg {MEETING}", user=OLE)
    assert "(om " not in text_of(other)  # Ole asked nothing before
    mine = await bot.ask_group(f"/spoerg {MEETING}", user=KAREN)
    assert "(om Yoav Gallant)" in text_of(mine)


async def test_in_a_group_a_reply_to_an_answer_follows_up_on_it(start_bot: StartBot) -> None:
    bot = await start_bot()
    answer = await bot.ask_group(f"/spoerg {MINISTER}", user=KAREN)
    message = bot.api.messages[(answer.params["chat_id"], answer.result["message_id"])]
    update = await bot.api.send_group(MEETING, user=OLE, reply_to=message)
    reply = await bot.reply_to(update)
    assert SULLIVAN in text_of(reply) and "(om Yoav Gallant)" in text_of(reply)


async def test_after_the_timeout_the_context_is_gone(start_bot: StartBot) -> None:
    bot = await start_bot(follow_up_seconds=1)
    await bot.ask_private(MINISTER)
    await asyncio.sleep(1.1)
    reply = await bot.ask_private("og hvornår?")
    assert "(om " not in text_of(reply)


@pytest.mark.parametrize("seconds", [0])
async def test_follow_ups_can_be_turned_off(start_bot: StartBot, seconds: int) -> None:
    bot = await start_bot(follow_up_seconds=seconds)
    await bot.ask_private(MINISTER)
    reply = await bot.ask_private(MEETING)
    assert "(om " not in text_of(reply)


def test_the_same_dialogue_works_in_the_console_chat() -> None:
    kb = Knowledge.open(":memory:")
    lines = [MINISTER, MEETING, "mere", "hej", "hvad er klokken?", "tak"]
    out = io.StringIO()
    console.chat(kb, io.StringIO("\n".join(lines) + "\n"), out)
    replies = out.getvalue().rstrip("\n").split("\n\n")
    assert len(replies) == len(lines)
    assert "Yoav Gallant" in replies[0]
    assert SULLIVAN in replies[1] and "(om Yoav Gallant)" in replies[1]
    assert "Lloyd Austin" in replies[2]  # the paragraph around the Sullivan sentence
    assert replies[3] == render.to_plain(render.SMALL_TALK["greeting"])
    assert render.OUT_OF_SCOPE in replies[4]
    assert replies[5] == render.to_plain(render.SMALL_TALK["thanks"])
