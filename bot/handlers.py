"""Thin Telegram handlers: each turns one update into a knowledge call and one reply.

What they share is ``context.bot_data``, a typed `bot.state.BotData`: the Knowledge,
the Config, the flood gate, the metrics, each conversation's last answer and the rest.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable

from faktabot.bot import render
from faktabot.bot.state import Context
from faktabot.knowledge.model import Turn
from telegram import (
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden
from telegram.ext import filters

logger = logging.getLogger(__name__)

INLINE_CACHE_SECONDS = 5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

ALLOW, NOTICE, SILENT = "allow", "notice", "silent"


class FloodGate:
    """At most `rate` questions per user in any `window` seconds (a sliding window).

    Over the limit a user gets one NOTICE, then SILENT until the window has room again.
    Refused questions do not count, so waiting always helps.
    """

    def __init__(
        self, rate: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.window, self.clock = rate, window, clock
        self._asked: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def check(self, user_id: int) -> str:
        now = self.clock()
        asked = self._asked.setdefault(user_id, deque())
        while asked and now - asked[0] >= self.window:
            asked.popleft()
        if len(asked) < self.rate:
            asked.append(now)
            self._warned.discard(user_id)
            self._forget_idle(now)
            return ALLOW
        if user_id in self._warned:
            return SILENT
        self._warned.add(user_id)
        return NOTICE

    def _forget_idle(self, now: float) -> None:
        if len(self._asked) > 10_000:
            for user_id in [u for u, t in self._asked.items() if not t or now - t[-1] >= 60]:
                del self._asked[user_id]


class AddressedToBot(filters.MessageFilter):
    """Messages that @mention this bot (in their text or a photo's caption) or reply to one
    of its messages.

    In a forum topic every message counts as a reply to the topic's creation message: a
    topic the bot created is no question to it.
    """

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        reply = message.reply_to_message
        if (
            reply is not None
            and reply.from_user is not None
            and reply.from_user.id == bot.id
            and reply.forum_topic_created is None
        ):
            return True
        mention = f"@{bot.username}".lower()
        kinds = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
        if message.text:
            found = message.parse_entities(kinds)
        else:
            found = message.parse_caption_entities(kinds)
        for entity, text in found.items():
            if entity.user is not None and entity.user.id == bot.id:
                return True
            if text.lower() == mention:
                return True
        return False


# --- helpers (not handlers) ------------------------------------------------------------------


async def send_html(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message:
    """Reply to `message` with HTML; if Telegram cannot parse it, send it as plain text.

    A group that became a supergroup while the question waited is answered in the
    supergroup (Telegram names it in the error), without quoting the old chat's message.
    """
    reply_to = ReplyParameters(message.message_id, allow_sending_without_reply=True)
    kwargs = {"reply_markup": markup, "reply_parameters": reply_to}
    try:
        return await message.reply_text(
            text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, **kwargs
        )
    except ChatMigrated as exc:
        logger.info("A group became supergroup %s; answering there", exc.new_chat_id)
        return await message.get_bot().send_message(
            exc.new_chat_id,
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            reply_markup=markup,
        )
    except BadRequest as exc:
        if "can't parse entities" not in exc.message.lower():
            raise
        logger.warning("Telegram rejected our HTML (%s); sending plain text instead", exc.message)
        return await message.reply_text(render.to_plain(text), **kwargs)


def _without_mention(text: str, username: str | None) -> str:
    if not username:
        return text
    return re.sub(rf"(?i)@{re.escape(username)}\b", " ", text).strip()


def _after_command(message: Message) -> str:
    command = message.entities[0] if message.entities else None
    text = message.text or ""
    if command is None or command.type != MessageEntity.BOT_COMMAND:
        return text.strip()
    # Entity offsets count UTF-16 units; the command sits at offset 0 and is plain ASCII.
    return text[command.length :].strip()


async def answer(update: Update, context: Context, question: str) -> None:
    """The one answer path: flood check, input check, knowledge, reply."""
    message = update.effective_message
    user = update.effective_user
    verdict = context.bot_data.flood.check(user.id if user else message.chat_id)
    if verdict == SILENT:
        return
    if verdict == NOTICE:
        await send_html(message, render.FLOOD_NOTICE)
        return
    problem = render.question_problem(question)
    if problem is not None:
        await send_html(message, problem)
        return
    talk = conversation(message)
    memory = context.bot_data.conversations
    previous = _replied_turn(message, context) or memory.recall(talk)
    result, seconds = await context.bot_data.asker.converse(question, previous)
    if result.turn is not None:
        memory.remember(talk, result.turn)
    context.bot_data.metrics.observe(result, seconds)
    if result.intent is not None:
        logger.info("%s in %s chat: %s", result.intent.kind, message.chat.type, result.intent.name)
        await send_html(message, render.reply_html(result))
        return
    logger.info(
        "Question in %s chat: %s%s",
        message.chat.type,
        "answered" if result.answer else f"declined, {len(result.alternatives)} alternatives",
        " (a follow-up)" if result.about else "",
    )
    asked_id = None
    if result.problem is None:
        chat_type = message.chat.type
        asked_id = context.bot_data.feedback.log(
            result, chat_type=chat_type, user_id=user.id if user else None
        )
    markup = render.reply_markup(result, asked_id)
    sent = await send_html(message, render.reply_html(result), markup)
    context.bot_data.recent.remember(sent.chat_id, sent.message_id, result)


def conversation(message: Message) -> int | tuple[int, int]:
    """Whose talk a message continues: a private chat's, or one user's in a group."""
    user = message.from_user
    if message.chat.type == message.chat.PRIVATE or user is None:
        return message.chat_id
    return (message.chat_id, user.id)


def _replied_turn(message: Message, context: Context) -> Turn | None:
    """In a reply to one of the bot's answers, that answer is what the question leans on."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    result = context.bot_data.recent.get(message.chat_id, replied.message_id)
    return result.turn if result is not None else None


# --- handlers --------------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """Greet the user and show how to ask."""
    await send_html(update.effective_message, render.help_html(context.bot.username))


async def about(update: Update, context: Context) -> None:
    """Explain what the bot is and how it answers."""
    await send_html(update.effective_message, render.ABOUT)


async def sources(update: Update, context: Context) -> None:
    """List the indexed articles."""
    context.bot_data.kb.refresh()
    await send_html(update.effective_message, render.articles_html(context.bot_data.kb.articles()))


async def ask_command(update: Update, context: Context) -> None:
    """Answer /spoerg <question>, or explain how to use it."""
    question = _after_command(update.effective_message)
    if not question:
        await send_html(update.effective_message, render.ASK_HINT)
        return
    await answer(update, context, question)


def _words_of(message: Message) -> str:
    """A message's text, or the caption of its photo or video: people ask under a picture."""
    return message.text or message.caption or ""


async def ask_private(update: Update, context: Context) -> None:
    """Answer any text (or caption) in a private chat as a question."""
    await answer(update, context, _words_of(update.effective_message))


async def ask_group(update: Update, context: Context) -> None:
    """Answer a group message (or caption) that mentions the bot or replies to it."""
    text = _words_of(update.effective_message)
    await answer(update, context, _without_mention(text, context.bot.username))


async def unknown_command(update: Update, context: Context) -> None:
    """Point to /help for commands the bot does not know."""
    await send_html(update.effective_message, render.UNKNOWN_COMMAND)


async def not_text(update: Update, context: Context) -> None:
    """Ask for text when the user sends a sticker, photo or file."""
    await send_html(update.effective_message, render.NOT_TEXT)


async def show_fact(update: Update, context: Context) -> None:
    """Show the sentence behind a pressed button."""
    fact = context.bot_data.kb.fact(render.parse_fact_button(update.callback_query.data))
    await _show(update, context, render.fact_html(fact) if fact else None)


async def show_more(update: Update, context: Context) -> None:
    """Show an answer's sentence among its neighbours ("Mere" under an answer)."""
    passage = context.bot_data.kb.passage(render.parse_fact_button(update.callback_query.data))
    await _show(update, context, render.passage_html(passage) if passage else None)


async def _show(update: Update, context: Context, text: str | None) -> None:
    """Answer a pressed button with `text` below its message (None: the fact is gone)."""
    query = update.callback_query
    await query.answer(None if text else render.FACT_GONE)
    if text is None:
        return
    if isinstance(query.message, Message):
        await send_html(query.message, text)
    else:  # the button's message is too old to reply to
        await context.bot.send_message(update.effective_chat.id, text, parse_mode=ParseMode.HTML)


async def inline_query(update: Update, context: Context) -> None:
    """Offer matching sentences, or the list of articles for an empty query."""
    text = update.inline_query.query.strip()
    if not text:
        kb = context.bot_data.kb
        kb.refresh()
        results = render.inline_article_results(kb.articles())
    elif render.question_problem(text) is None:
        hits = await context.bot_data.asker.search(text, limit=10)
        results = render.inline_fact_results(hits)
    else:
        results = []
    await update.inline_query.answer(results, cache_time=INLINE_CACHE_SECONDS)


async def error_handler(update: object, context: Context) -> None:
    """Log the error with its context and tell the chat, briefly, that something went wrong."""
    is_update = isinstance(update, Update)
    chat = update.effective_chat if is_update else None
    logger.error(
        "Error while handling update %s (chat type %s)",
        update.update_id if is_update else None,
        chat.type if chat else None,
        exc_info=context.error,
    )
    if chat is None or isinstance(context.error, Forbidden | ChatMigrated):
        return  # nobody to tell, or the chat is gone: telling it would fail again
    message = update.effective_message
    if isinstance(message, Message):
        await send_html(message, render.ERROR)
    else:
        await context.bot.send_message(chat.id, render.ERROR)
