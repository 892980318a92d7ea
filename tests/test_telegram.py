"""End-to-end tests: the real Application polls a fake Bot API over HTTP on 127.0.0.1.

Answers are checked against what the real Knowledge returns for the seed article, so the
tests follow the matcher rather than hard-coding its output.
"""

from __future__ import annotations

import html
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fake_bot_api import (
    BOT_ID,
    BOT_USERNAME,
    ApiError,
    FakeBotApi,
    message_entities,
    parse_html,
    texts,
)
from faktabot.bot import handlers, render
from faktabot.bot.app import build_application
from faktabot.bot.config import Config, ConfigError
from faktabot.bot.logs import configure_logging
from faktabot.knowledge import ArticleInput, Knowledge
from telegram_fixtures import (
    HOSTAGES,
    OFF_TOPIC,
    PENTAGON,
    SECRET,
    TOKEN,
    Harness,
    near_miss,
)

ROOT = Path(__file__).resolve().parent.parent
AWKWARD_ARTICLE = ArticleInput(
    text=(
        "Teleselskabet AT&T købte Time Warner for 85 milliarder dollars i 2018.\n\n"
        'Handlen blev kaldt "<årets største>" af analytikere & investorer.\n\n'
        "Direktøren for AT&T hedder John Stankey."
    ),
    title="AT&T <køber> Time Warner",
    date="2018-06-15",
    url="https://example.dk/a?x=1&y=2",
)


def quoted(call_text: str) -> str:
    """The text inside the reply's <blockquote>."""
    assert "<blockquote>" in call_text, call_text
    return call_text.split("<blockquote>", 1)[1].split("</blockquote>", 1)[0]


def assert_answers(call_text: str, kb, question: str) -> None:
    """The reply quotes the article sentence Knowledge answers with, span bold, with source."""
    result = kb.ask(question)
    assert result.answer is not None, f"the seed article should answer {question!r}"
    fact = result.answer.fact
    plain, entities = parse_html(call_text)
    assert fact.text in plain
    assert html.escape(fact.text[: result.answer.span[0]]) in quoted(call_text)
    start, end = result.answer.span
    assert f"<b>{html.escape(fact.text[start:end])}</b>" in call_text
    # A when or how-many answer says first how old its article is.
    lead = ""
    if result.explanation.answer_type in render.DATED_KINDS and fact.article.date:
        lead = f"Ifølge artiklen fra {render.format_date(fact.article.date)}:\n"
    assert plain.startswith(lead + fact.text)
    quote = {"type": "blockquote", "offset": render.utf16_len(lead), "length": len(fact.text)}
    assert quote in [{k: e[k] for k in ("type", "offset", "length")} for e in entities]
    assert "Kilde:" in plain and html.escape(fact.article.title[:20]) in call_text


# --- private chat ----------------------------------------------------------------------------


async def test_private_question_is_answered_with_the_quoted_sentence(bot: Harness) -> None:
    reply = await bot.ask_private(PENTAGON)
    assert_answers(reply.text, bot.kb, PENTAGON)
    assert "Pat Ryder" in reply.text
    assert reply.params["parse_mode"] == "HTML"
    assert reply.params["reply_parameters"]["allow_sending_without_reply"] is True
    assert reply.params.get("link_preview_options") == {"is_disabled": True}
    rows = reply.params["reply_markup"]["inline_keyboard"]  # 👍/👎, and "Mere" below them
    assert [[button["text"] for button in row] for row in rows] == [["👍", "👎"], ["Mere"]]


async def test_second_seed_question(bot: Harness) -> None:
    reply = await bot.ask_private(HOSTAGES)
    assert_answers(reply.text, bot.kb, HOSTAGES)
    assert "omkring 130 gidsler" in parse_html(reply.text)[0]


async def test_off_topic_question_is_declined(bot: Harness) -> None:
    reply = await bot.ask_private(OFF_TOPIC)
    assert reply.text.startswith("Det ved jeg ikke")
    assert "<blockquote>" not in reply.text
    result = bot.kb.ask(OFF_TOPIC)
    buttons = (reply.params.get("reply_markup") or {}).get("inline_keyboard", [])
    assert [row[0]["callback_data"] for row in buttons] == [
        f"f:{hit.fact.id}" for hit in result.alternatives[:3]
    ]


async def test_near_miss_offers_buttons_and_pressing_one_shows_the_fact(bot: Harness) -> None:
    question = near_miss(bot.kb)
    reply = await bot.ask_private(question)
    assert reply.text.startswith("Det ved jeg ikke")
    rows = reply.params["reply_markup"]["inline_keyboard"]
    expected = [hit.fact.id for hit in bot.kb.ask(question).alternatives[:3]]
    assert [row[0]["callback_data"] for row in rows] == [f"f:{i}" for i in expected]
    assert all(len(row[0]["callback_data"].encode()) <= 64 for row in rows)

    data = rows[-1][0]["callback_data"]
    await bot.api.press_button(reply.result, data)
    answered = await bot.api.wait_call("answerCallbackQuery")
    assert answered.ok
    shown = await bot.api.wait_sent(2)
    fact = bot.kb.fact(int(data.removeprefix("f:")))
    assert quoted(shown.text) == html.escape(fact.text)
    assert "Kilde:" in shown.text
    assert shown.params["reply_parameters"]["message_id"] == reply.result["message_id"]


async def test_button_for_a_vanished_fact_answers_the_query(bot: Harness) -> None:
    message = (await bot.ask_private(OFF_TOPIC)).result
    await bot.api.press_button(message, "f:999999")
    answered = await bot.api.wait_call("answerCallbackQuery")
    assert answered.ok and answered.params["text"] == render.FACT_GONE
    await bot.ask_private("/help")  # sequential processing: the button press is done
    assert len(bot.api.sent()) == 2


async def test_commands(bot: Harness) -> None:
    start = await bot.ask_private("/start")
    assert "Prøv fx" in start.text and PENTAGON in start.text
    assert f"@{BOT_USERNAME}" in start.text
    help_ = await bot.ask_private("/help")
    assert help_.text == start.text
    about = await bot.ask_private("/om")
    assert "ordret" in about.text
    sources = await bot.ask_private("/kilder")
    for article in bot.kb.articles():
        assert html.escape(article.title[:30]) in sources.text
        assert f"{article.facts} sætning" in sources.text
    unknown = await bot.ask_private("/hemmelig")
    assert unknown.text == render.UNKNOWN_COMMAND
    hint = await bot.ask_private("/spoerg")
    assert hint.text == render.ASK_HINT
    asked = await bot.ask_private(f"/spoerg {PENTAGON}")
    assert_answers(asked.text, bot.kb, PENTAGON)


async def test_set_my_commands_at_start_in_danish(bot: Harness) -> None:
    call = await bot.api.wait_call("setMyCommands")
    commands = {c["command"]: c["description"] for c in call.params["commands"]}
    assert set(commands) == {"start", "help", "spoerg", "kilder", "nyt", "om", "hvorfor"}
    assert commands["kilder"] == "Se de artikler, jeg kender"
    assert bot.app.bot.username == BOT_USERNAME


async def test_non_text_messages_get_a_hint(bot: Harness) -> None:
    sticker = {
        "sticker": {
            "file_id": "x",
            "file_unique_id": "y",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    }
    reply = await bot.reply_to(await bot.api.send_private(None, extra=sticker))
    assert reply.text == render.NOT_TEXT


# --- bad input -------------------------------------------------------------------------------


async def test_html_looking_question_is_escaped(bot: Harness) -> None:
    reply = await bot.ask_private("<b>hej</b> & <script>alert(1)</script>")
    assert reply.ok  # the fake API rejects unescaped HTML with 400
    assert "<script>" not in reply.text
    assert not bot.api.calls_to("sendMessage", ok=False)


@pytest.mark.parametrize(
    "text",
    [
        "😀😀😀",
        "?!?",
        "'; DROP TABLE facts; --",
        "hvem er talsmand for pentagon\x00",
        "a" * 499,
    ],
)
async def test_odd_input_gets_a_friendly_reply(bot: Harness, text: str) -> None:
    reply = await bot.ask_private(text)
    assert reply.ok and reply.text
    assert not bot.api.calls_to("sendMessage", ok=False)


async def test_article_text_with_html_characters_is_escaped(start_bot, tmp_path: Path) -> None:
    kb = Knowledge.open(tmp_path / "awkward.sqlite")
    list(kb.ingest([AWKWARD_ARTICLE]))
    bot = await start_bot(knowledge=kb)
    question = "Hvad kaldte analytikere handlen?"
    result = kb.ask(question)
    assert result.answer is not None and "<årets største>" in result.answer.fact.text
    reply = await bot.ask_private(question)
    plain, entities = parse_html(reply.text)  # what Telegram shows
    assert result.answer.fact.text in plain
    assert "AT&T <køber> Time Warner" in plain
    assert {"type": "text_link", "url": AWKWARD_ARTICLE.url} in [
        {k: v for k, v in e.items() if k in ("type", "url")} for e in entities
    ]
    assert "15. juni 2018" in plain

    await bot.api.inline_query("Time Warner")
    call = await bot.api.wait_call("answerInlineQuery")
    assert call.ok, call.error  # the fake API parsed every result's HTML
    assert any(
        "AT&amp;T" in r["input_message_content"]["message_text"] for r in call.params["results"]
    )


async def test_a_very_long_message_is_refused_politely(bot: Harness) -> None:
    reply = await bot.ask_private("Hvem er talsmand for Pentagon? " * 160)  # ~5,000 chars
    assert "for langt" in reply.text
    assert "<blockquote>" not in reply.text


async def test_html_rejected_by_telegram_falls_back_to_plain_text(bot: Harness) -> None:
    bot.api.reject_html_next(1)
    reply = await bot.ask_private(PENTAGON)
    assert "parse_mode" not in reply.params
    fact = bot.kb.ask(PENTAGON).answer.fact
    assert f"»{fact.text}«" in reply.text
    assert "<" not in reply.text and "&amp;" not in reply.text
    assert len(bot.api.calls_to("sendMessage", ok=False)) == 1


async def test_rate_limited_send_is_retried(bot: Harness) -> None:
    bot.api.throttle_next_sends(1, retry_after=1)
    started = time.monotonic()
    reply = await bot.ask_private(PENTAGON)
    assert time.monotonic() - started >= 1.0  # waited as Telegram asked
    assert_answers(reply.text, bot.kb, PENTAGON)
    failed = bot.api.calls_to("sendMessage", ok=False)
    assert [c.status for c in failed] == [429]


async def test_flood_limit_sends_one_notice_then_stays_silent(start_bot) -> None:
    bot = await start_bot(user_rate=2)
    flooder = FakeBotApi.user(2002, "Flemming")
    for _ in range(5):
        await bot.api.send_private(PENTAGON, user=flooder)
    other = await bot.ask_private(HOSTAGES)  # another chat is answered all the same
    assert_answers(other.text, bot.kb, HOSTAGES)
    # One chat's updates are handled in order: when /start is answered, the five are done.
    await bot.ask_private("/start", user=flooder)
    to_flooder = texts(bot.api.sent(chat_id=2002))
    assert len(to_flooder) == 4
    assert all("Pat Ryder" in t for t in to_flooder[:2])
    assert to_flooder[2] == render.FLOOD_NOTICE
    assert to_flooder[3] == render.help_html(bot.app.bot.username)


# --- groups ----------------------------------------------------------------------------------


async def test_group_is_silent_unless_addressed(bot: Harness) -> None:
    await bot.api.send_group(PENTAGON)
    await bot.api.send_group(f"/spoerg@andenbot {PENTAGON}")
    await bot.api.send_group(f"Har @andenbot et svar? {HOSTAGES}")
    reply = await bot.ask_group(f"/spoerg {PENTAGON}")  # the sentinel, handled last
    assert_answers(reply.text, bot.kb, PENTAGON)
    assert len(bot.api.sent()) == 1


@pytest.mark.parametrize(
    "template",
    [
        "/spoerg {q}",
        "/spoerg@{bot} {q}",
        "/SPOERG@{bot}    {q}",
        "@{bot} {q}",
        "Hej @{bot}, {q}",
        "{q} @{bot}",
        "🙂 @{bot} {q}",  # the emoji shifts UTF-16 offsets by two
    ],
)
async def test_group_answers_when_addressed(bot: Harness, template: str) -> None:
    reply = await bot.ask_group(template.format(q=PENTAGON, bot=BOT_USERNAME))
    assert_answers(reply.text, bot.kb, PENTAGON)


async def test_group_answers_a_reply_to_the_bot(bot: Harness) -> None:
    first = await bot.ask_group(f"/spoerg {PENTAGON}")
    reply = await bot.ask_group(HOSTAGES, reply_to=first.result)
    assert_answers(reply.text, bot.kb, HOSTAGES)


async def test_group_mention_alone_and_empty_command_get_hints(bot: Harness) -> None:
    mention = await bot.ask_group(f"@{BOT_USERNAME}")
    assert "Skriv et spørgsmål" in mention.text
    command = await bot.ask_group(f"/spoerg@{BOT_USERNAME}")
    assert command.text == render.ASK_HINT


async def test_group_declines_with_buttons(bot: Harness) -> None:
    reply = await bot.ask_group(f"/spoerg {near_miss(bot.kb)}")
    assert reply.text.startswith("Det ved jeg ikke")
    assert reply.params["reply_markup"]["inline_keyboard"]


async def test_unknown_commands_in_groups_are_ignored(bot: Harness) -> None:
    await bot.api.send_group("/hemmelig")
    await bot.api.send_group("/start@andenbot")
    await bot.ask_group(f"/spoerg {PENTAGON}")
    assert len(bot.api.sent()) == 1


# --- inline mode -----------------------------------------------------------------------------


async def test_inline_query_offers_quoted_facts(bot: Harness) -> None:
    await bot.api.inline_query("gidsler i Gaza")
    call = await bot.api.wait_call("answerInlineQuery")
    assert call.ok, call.error
    results = call.params["results"]
    hits = bot.kb.search("gidsler i Gaza", limit=10)
    assert 1 <= len(results) <= 10
    assert [r["id"] for r in results] == [f"f:{h.fact.id}" for h in hits]
    content = results[0]["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert quoted(content["message_text"]) == html.escape(hits[0].fact.text)
    assert "Kilde:" in content["message_text"]
    assert call.params["cache_time"] <= 10


async def test_empty_inline_query_lists_the_articles(bot: Harness) -> None:
    await bot.api.inline_query("")
    call = await bot.api.wait_call("answerInlineQuery")
    assert call.ok, call.error
    articles = bot.kb.articles()
    assert [r["id"] for r in call.params["results"]] == [f"a:{a.id}" for a in articles]
    assert call.params["results"][0]["title"].startswith(articles[0].title[:20])
    assert f"{articles[0].facts} sætning" in call.params["results"][0]["description"]


async def test_inline_query_with_nonsense_gives_no_results(bot: Harness) -> None:
    await bot.api.inline_query("<<&&>> 😀")
    call = await bot.api.wait_call("answerInlineQuery")
    assert call.ok and call.params["results"] == []


# --- errors and logs -------------------------------------------------------------------------


async def test_an_error_in_a_handler_is_logged_and_the_user_told(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bot.app.bot_data.asker.converse = None  # every question now fails inside a handler
    with caplog.at_level(logging.ERROR, logger="faktabot.bot.handlers"):
        update = await bot.api.send_private(PENTAGON)
        sent = await bot.reply_to(update)
    assert sent.text == render.ERROR
    assert "Traceback" not in sent.text
    record = next(r for r in caplog.records if r.name == "faktabot.bot.handlers")
    assert f"update {update['update_id']}" in record.getMessage()
    assert "chat type private" in record.getMessage()
    assert record.exc_info is not None


async def test_the_token_never_reaches_a_log_record(
    start_bot, caplog: pytest.LogCaptureFixture
) -> None:
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    caplog.set_level(logging.DEBUG)  # restores the root level afterwards
    configure_logging("DEBUG", secrets=[TOKEN])
    assert logging.getLogger("httpx").level == logging.WARNING
    # Make httpx log every request URL (they contain the token) to prove the filter works.
    raw: list[str] = []
    spy = logging.Handler(logging.DEBUG)
    spy.emit = lambda record: raw.append(record.getMessage())  # type: ignore[method-assign]
    httpx_logger = logging.getLogger("httpx")
    httpx_logger.setLevel(logging.DEBUG)
    httpx_logger.addHandler(spy)
    try:
        bot = await start_bot()
        await bot.ask_private(PENTAGON)
        await bot.ask_private("/start")
        bot.api.fail_next("sendMessage", description=f"Bad Request: echo {TOKEN}")
        await bot.api.send_private(HOSTAGES)
        await bot.api.wait_for(lambda _: len(bot.api.calls_to("sendMessage")) >= 4)
    finally:
        httpx_logger.removeHandler(spy)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    assert any(TOKEN in line for line in raw), "httpx should have logged the token raw"
    assert len(caplog.records) > 10
    for record in caplog.records:
        assert SECRET not in record.getMessage(), record.getMessage()
        assert SECRET not in (record.exc_text or "")
    assert SECRET not in caplog.text
    assert "[REDACTED]" in caplog.text


async def test_wrong_token_is_unauthorized(api: FakeBotApi) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{api.base_url}123:nope/getMe")
        right = await client.post(f"{api.base_url}{TOKEN}/getMe")
        unknown = await client.post(f"{api.base_url}{TOKEN}/sendHologram")
    assert wrong.status_code == 401 and wrong.json()["ok"] is False
    assert right.json()["result"]["id"] == BOT_ID
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


def test_fake_api_parses_html_like_telegram() -> None:
    text, entities = parse_html('<blockquote>a &amp; <b>b</b></blockquote>\n<a href="x">y</a>')
    assert text == "a & b\ny"
    assert entities[0] == {"type": "bold", "offset": 4, "length": 1}
    for broken in ["<script>x</script>", "a < b", "a & b", "<b>x", "<b>x</i>", "&nbsp;"]:
        with pytest.raises(ApiError, match="can't parse entities"):
            parse_html(broken)
    # Offsets count UTF-16 units (an emoji is two); errors point at the byte.
    assert parse_html("😀 æø <i>x</i>")[1] == [{"type": "italic", "offset": 6, "length": 1}]
    with pytest.raises(ApiError, match="'>' is reserved and must be escaped at byte offset 7"):
        parse_html("æø a > b")


# --- pieces: config, flood gate, builder, run() ----------------------------------------------


def test_config_from_env_hides_the_token() -> None:
    config = Config.from_env(
        {
            "TELEGRAM_BOT_TOKEN": f" {TOKEN} ",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
            "FAKTABOT_DB": "/tmp/x.sqlite",
            "FAKTABOT_USER_RATE": "5",
            "FAKTABOT_LOG_LEVEL": "debug",
        }
    )
    assert config.token == TOKEN and config.user_rate == 5 and config.log_level == "DEBUG"
    assert config.db_path == "/tmp/x.sqlite"
    assert config.api_file_url == "http://127.0.0.1:8081/file/bot"
    assert SECRET not in repr(config) and SECRET not in str(config)
    default = Config.from_env({})
    assert (default.token, default.user_rate, default.log_level) == ("", 20, "INFO")
    assert default.api_base_url == "https://api.telegram.org/bot"
    assert default.api_file_url == "https://api.telegram.org/file/bot"
    for bad in ({"FAKTABOT_USER_RATE": "mange"}, {"FAKTABOT_USER_RATE": "0"}):
        with pytest.raises(ConfigError):
            Config.from_env(bad)


def test_builder_uses_the_configured_urls(kb) -> None:
    app = build_application(kb, Config(token=TOKEN))
    assert app.bot.base_url == f"https://api.telegram.org/bot{TOKEN}"
    assert app.bot.base_file_url == f"https://api.telegram.org/file/bot{TOKEN}"
    assert app.bot_data.kb is kb
    assert app.bot_data.flood.rate == 20


def test_flood_gate_frees_up_as_the_window_slides() -> None:
    now = [0.0]
    gate = handlers.FloodGate(rate=2, window=60, clock=lambda: now[0])
    assert [gate.check(1) for _ in range(4)] == ["allow", "allow", "notice", "silent"]
    assert gate.check(2) == "allow"  # other users are not affected
    now[0] = 59.9
    assert gate.check(1) == "silent"
    now[0] = 60.0
    assert [gate.check(1) for _ in range(3)] == ["allow", "allow", "notice"]


RUN_SCRIPT = """
import asyncio, json, os, signal, sys, threading
sys.path.insert(0, "tests")
from fake_bot_api import FakeBotApi
from faktabot.bot.app import run
from faktabot.bot.config import Config
from faktabot.knowledge import Knowledge

api = FakeBotApi(sys.argv[1])
loop = asyncio.new_event_loop()
ready = threading.Event()

def serve():
    loop.run_until_complete(api.start())
    ready.set()
    loop.run_forever()

async def drive():
    await api.send_private("Hvem er talsmand for Pentagon?")
    await api.wait_sent(1, timeout=20)
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=serve, daemon=True).start()
ready.wait()
asyncio.run_coroutine_threadsafe(drive(), loop)
config = Config(token=sys.argv[1], api_base_url=api.base_url, log_level="DEBUG")
run(config, Knowledge.open(sys.argv[2]))
print(json.dumps([[c.method, c.params.get("text")] for c in api.calls]))
"""


def test_run_polls_answers_and_stops_on_ctrl_c(seeded_db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(RUN_SCRIPT), TOKEN, str(seeded_db)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    calls = json.loads(done.stdout.strip().splitlines()[-1])
    methods = [method for method, _ in calls]
    assert methods[:2] == ["getMe", "setMyCommands"]
    assert "Pat Ryder" in next(text for method, text in calls if method == "sendMessage")
    assert "Running as @faktatestbot" in done.stderr  # logging was configured at DEBUG
    assert SECRET not in done.stderr


# --- captions ---------------------------------------------------------------------------------


def photo(caption: str | None) -> dict:
    """A photo message's fields, with a caption (and its entities) when given."""
    sizes = [{"file_id": "p1", "file_unique_id": "q1", "width": 90, "height": 60}]
    extra: dict = {"photo": sizes}
    if caption is not None:
        extra.update(caption=caption, caption_entities=message_entities(caption))
    return extra


async def test_a_question_under_a_photo_is_answered_in_a_private_chat(bot: Harness) -> None:
    reply = await bot.reply_to(await bot.api.send_private(None, extra=photo(PENTAGON)))
    assert_answers(reply.text, bot.kb, PENTAGON)
    bare = await bot.reply_to(await bot.api.send_private(None, extra=photo(None)))
    assert bare.text == render.NOT_TEXT


async def test_a_photo_caption_in_a_group_is_answered_only_when_it_mentions_the_bot(
    bot: Harness,
) -> None:
    await bot.api.send_group(None, extra=photo(PENTAGON))  # not addressed: silence
    addressed = await bot.api.send_group(None, extra=photo(f"@{BOT_USERNAME} {HOSTAGES}"))
    reply = await bot.reply_to(addressed)
    assert_answers(reply.text, bot.kb, HOSTAGES)
    assert len(bot.api.sent()) == 1


async def test_a_group_upgraded_to_a_supergroup_meanwhile_is_answered_there(
    bot: Harness, caplog
) -> None:
    old = {"id": -4242, "type": "group", "title": "Klubben"}
    bot.api.chats[old["id"]] = old
    question = bot.api.user_message(old, f"/spoerg {PENTAGON}")
    new = bot.api.migrate(old, -1009876543210)  # before the bot gets to answer
    await bot.api.push({"message": question})
    reply = await bot.api.wait_sent(chat_id=new["id"])
    assert_answers(reply.text, bot.kb, PENTAGON)
    await bot.ask_private(PENTAGON)  # a later update: every log of the first is written
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    [failed] = bot.api.calls_to("sendMessage", ok=False)  # the old chat, tried once
    assert failed.error.endswith("upgraded to a supergroup chat")
