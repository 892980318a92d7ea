"""The curator loop on Telegram: 👍/👎 votes on answers, and /hvorfor explaining an answer.

Votes land in the knowledge database (`bot_data.feedback`, a knowledge.feedback.Feedback);
a user is stored only as a salted hash. /hvorfor finds the answer it is about among the
recent ones kept in memory (`bot_data.recent`), or asks the logged question again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable

from faktabot.bot import handlers, render
from faktabot.bot.state import Context
from faktabot.knowledge.feedback import CHANGED, NEW, SAME
from faktabot.knowledge.model import Explanation, Result
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

logger = logging.getLogger(__name__)

RECENT_LIMIT = 2000  # answers (and chats) remembered for /hvorfor

VOTE_SAVED = {
    NEW: "Tak for din feedback!",
    CHANGED: "Din stemme er ændret.",
    SAME: "Du har allerede stemt sådan.",
}
VOTE_GONE = "Det svar er for gammelt til at stemme på."
WHY_NOTHING = (
    "Jeg kan ikke huske det svar. Svar på en af mine beskeder med /hvorfor, "
    "eller skriv /hvorfor lige efter mit svar."
)
_ASKED_FOR = {
    "person": "en person, så jeg ledte efter et navn",
    "time": "et tidspunkt, så jeg ledte efter en dato eller tid",
    "number": "et tal, så jeg ledte efter et antal",
    "place": "et sted, så jeg ledte efter et stednavn",
    "reason": "en årsag, så jeg ledte efter en forklaring",
}


class Recent:
    """The last results the bot sent, by (chat, message) and the newest per chat; bounded."""

    def __init__(self, limit: int = RECENT_LIMIT) -> None:
        self.limit = limit
        self._by_message: OrderedDict[tuple[int, int], Result] = OrderedDict()
        self._last: OrderedDict[int, tuple[int, int]] = OrderedDict()

    def remember(self, chat_id: int, message_id: int, result: Result) -> None:
        key = (chat_id, message_id)
        self._by_message[key] = result
        self._by_message.move_to_end(key)
        self._last[chat_id] = key
        self._last.move_to_end(chat_id)
        for table in (self._by_message, self._last):
            while len(table) > self.limit:
                table.popitem(last=False)

    def get(self, chat_id: int, message_id: int) -> Result | None:
        return self._by_message.get((chat_id, message_id))

    def last(self, chat_id: int) -> Result | None:
        key = self._last.get(chat_id)
        return self._by_message.get(key) if key else None


# --- handlers --------------------------------------------------------------------------------


async def vote(update: Update, context: Context) -> None:
    """Record a 👍/👎 (one per user and answer) and turn the buttons into a thank-you."""
    query = update.callback_query
    parsed = render.parse_vote_button(query.data)
    if parsed is None:  # the handler's pattern lets only vote buttons through
        await query.answer()
        return
    up, asked_id = parsed
    user = query.from_user
    outcome = context.bot_data.feedback.vote(asked_id, user.id if user else None, up)
    await query.answer(VOTE_SAVED[outcome] if outcome else VOTE_GONE)
    logger.info("Vote on an answer: %s (%s)", "up" if up else "down", outcome or "unknown")
    message = query.message
    more = render.more_button_fact(message.reply_markup) if isinstance(message, Message) else None
    markup = render.voted_markup(asked_id, up, more=more)
    # Telegram refuses an edit that changes nothing (another user in a group voted the same);
    # the message we got may already be stale when taps come quickly, hence the except.
    if outcome and isinstance(message, Message) and message.reply_markup != markup:
        try:
            await query.edit_message_reply_markup(markup)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise


async def why(update: Update, context: Context) -> None:
    """/hvorfor: explain the answer replied to, or the chat's latest answer."""
    message = update.effective_message
    result = await _result_for(message, context)
    await handlers.send_html(message, why_html(result) if result else WHY_NOTHING)


async def _result_for(message: Message, context: Context) -> Result | None:
    recent: Recent = context.bot_data.recent
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return recent.last(message.chat_id)
    return recent.get(message.chat_id, replied.message_id) or await _ask_again(replied, context)


async def _ask_again(answer: Message, context: Context) -> Result | None:
    """After a restart: the question behind an answer's vote buttons, asked once more."""
    asked_id = _asked_id(answer.reply_markup)
    asked = context.bot_data.feedback.asked(asked_id) if asked_id else None
    if asked is None:
        return None
    result, _ = await context.bot_data.asker.ask(asked.question)
    return result


def _asked_id(markup: InlineKeyboardMarkup | None) -> int | None:
    buttons = [b for row in markup.inline_keyboard for b in row] if markup else []
    for button in buttons:
        parsed = render.parse_vote_button(button.callback_data)
        if parsed is not None:
            return parsed[1]
    return None


# --- text ------------------------------------------------------------------------------------


def percent(value: float) -> str:
    """0.999 -> "99,9 %", 0.5 -> "50 %" (Danish decimal comma)."""
    text = f"{value * 100:.1f}".replace(".", ",").removesuffix(",0")
    return f"{text} %"


def _words(words: Iterable[str]) -> str:
    return ", ".join(f"«{render.esc(w)}»" for w in dict.fromkeys(words))


def why_html(result: Result) -> str:
    """Why the bot answered (or not), in plain Danish: matched words, typos, synonyms, score."""
    lines = [f"<b>Sådan læste jeg</b> «{render.esc(render.shorten(result.question, 200))}»:"]
    if result.problem is not None:
        lines.append("Jeg fandt ingen ord at søge efter, så jeg kunne ikke svare.")
        return "\n".join(lines)
    e: Explanation = result.explanation
    fixed = {typed: right for typed, right in e.corrected if typed and right and typed != right}
    matched = [fixed.get(w, w) for w in e.matched]
    if matched:
        lines.append(f"• Ord, der passede med sætningen: {_words(matched)}")
    else:
        lines.append("• Ingen af dine ord passede med en sætning, jeg kender.")
    if fixed:
        typos = ", ".join(f"«{render.esc(a)}» → «{render.esc(b)}»" for a, b in fixed.items())
        lines.append(f"• Stavefejl, jeg rettede: {typos}")
    used: dict[str, list[str]] = {}
    for asked, synonym in e.synonyms:
        used.setdefault(fixed.get(asked, asked), []).append(synonym)
    if used:
        parts = [f"«{render.esc(w)}» som {_words(s[:4])}" for w, s in list(used.items())[:3]]
        lines.append("• Synonymer, jeg også søgte efter: " + "; ".join(parts))
    if e.missing:
        lines.append(f"• Ord, jeg ikke fandt i mine artikler: {_words(e.missing)}")
    if e.meaning is not None:
        lines.append(
            f"• Jeg sammenlignede også betydningen: sætningen ligner dit spørgsmål "
            f"med {percent(e.meaning)}."
        )
    if e.answer_type in _ASKED_FOR:
        lines.append(f"• Du spurgte efter {_ASKED_FOR[e.answer_type]}.")
    verdict = "Derfor svarede jeg." if result.answer else "Derfor svarede jeg ikke."
    if e.threshold is not None:
        lines.append(
            f"• Sikkerhed for svaret: {percent(e.confidence)}. Jeg svarer kun, når den er "
            f"mindst {percent(e.threshold)}. {verdict}"
        )
    return render.truncate_html("\n".join(lines))
