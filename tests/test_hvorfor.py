"""/hvorfor: why the bot answered what it did, in plain Danish.

The explanation comes from Knowledge.ask's Result.explanation; the tests compare the text
with that explanation rather than hard-coding scores.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from fake_bot_api import BOT_USERNAME, parse_html
from faktabot.bot import curator
from faktabot.knowledge import Knowledge
from telegram_fixtures import HOSTAGES, PENTAGON, StartBot

TYPO = "hvad hedder pentagons tlasmand"


@pytest.fixture
def kb(tmp_path: Path) -> Knowledge:
    return Knowledge.open(tmp_path / "hvorfor.sqlite")


def shown(html_text: str) -> str:
    """What Telegram shows for the HTML (and proof that it parses)."""
    return parse_html(html_text)[0]


def test_the_explanation_names_the_corrected_word_and_the_threshold(kb: Knowledge) -> None:
    result = kb.ask(TYPO)
    assert ("tlasmand", "talsmand") in result.explanation.corrected
    text = shown(curator.why_html(result))
    assert "«tlasmand» → «talsmand»" in text
    assert "Ord, der passede med sætningen:" in text and "«talsmand»" in text
    assert f"Sikkerhed for svaret: {curator.percent(result.explanation.confidence)}" in text
    assert f"mindst {curator.percent(result.explanation.threshold)}" in text
    assert "Derfor svarede jeg." in text
    assert "Du spurgte efter en person" in text


def test_a_declined_question_is_explained_too(kb: Knowledge) -> None:
    result = kb.ask("Hvad er hovedstaden i Frankrig?")
    assert result.answer is None
    text = shown(curator.why_html(result))
    assert "Derfor svarede jeg ikke." in text
    assert "Ord, jeg ikke fandt i mine artikler:" in text and "«frankrig»" in text


def test_synonyms_are_named(kb: Knowledge) -> None:
    result = kb.ask(PENTAGON)
    assert result.explanation.synonyms
    asked, used = result.explanation.synonyms[0]
    text = shown(curator.why_html(result))
    assert f"Synonymer, jeg også søgte efter: «{asked}» som" in text and f"«{used}»" in text


def test_user_text_is_escaped(kb: Knowledge) -> None:
    text = curator.why_html(kb.ask("<b>talsmand</b> & pentagon?"))
    assert "&lt;b&gt;" in text and "<b>talsmand</b>" not in text
    shown(text)  # parses as Telegram HTML


def test_percent_is_danish() -> None:
    assert curator.percent(0.999) == "99,9 %"
    assert curator.percent(0.5) == "50 %"
    assert curator.percent(0.0025) == "0,2 %"


def test_recent_answers_are_bounded() -> None:
    recent = curator.Recent(limit=3)
    results = [object() for _ in range(5)]
    for i, result in enumerate(results):
        recent.remember(chat_id=i % 2, message_id=i, result=result)  # type: ignore[arg-type]
    assert recent.get(0, 0) is None and recent.get(1, 1) is None  # the oldest were dropped
    assert recent.get(0, 4) is results[4]
    assert recent.last(0) is results[4] and recent.last(1) is results[3]


# --- on Telegram -----------------------------------------------------------------------------


async def test_hvorfor_as_a_reply_explains_that_answer(start_bot: StartBot, kb: Knowledge) -> None:
    bot = await start_bot(knowledge=kb)
    typo = await bot.ask_private(TYPO)
    await bot.ask_private(HOSTAGES)  # a later answer: the reply must pick the right one
    why = await bot.ask_private("/hvorfor", reply_to=typo.result)
    text = shown(why.text)
    assert "«tlasmand» → «talsmand»" in text
    assert html.escape(TYPO) in why.text


async def test_hvorfor_right_after_explains_the_latest_answer(
    start_bot: StartBot, kb: Knowledge
) -> None:
    bot = await start_bot(knowledge=kb)
    await bot.ask_private(TYPO)
    why = await bot.ask_private("/hvorfor")
    assert "«tlasmand» → «talsmand»" in shown(why.text)


async def test_hvorfor_in_a_group(start_bot: StartBot, kb: Knowledge) -> None:
    bot = await start_bot(knowledge=kb)
    answer = await bot.ask_group(f"@{BOT_USERNAME} {TYPO}")
    why = await bot.ask_group(f"/hvorfor@{BOT_USERNAME}", reply_to=answer.result)
    assert "«tlasmand» → «talsmand»" in shown(why.text)


async def test_hvorfor_after_a_restart_asks_the_logged_question_again(
    start_bot: StartBot, kb: Knowledge
) -> None:
    bot = await start_bot(knowledge=kb)
    answer = await bot.ask_private(TYPO)
    bot.app.bot_data.recent = curator.Recent()  # memory lost, database kept
    message = bot.api.messages[(int(answer.params["chat_id"]), answer.result["message_id"])]
    why = await bot.ask_private("/hvorfor", reply_to=message)
    assert "«tlasmand» → «talsmand»" in shown(why.text)


async def test_hvorfor_with_nothing_to_explain(start_bot: StartBot, kb: Knowledge) -> None:
    bot = await start_bot(knowledge=kb)
    why = await bot.ask_private("/hvorfor")
    assert why.text == curator.WHY_NOTHING
