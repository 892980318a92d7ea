"""Admin handlers: add articles by sending a file, remove one, see the numbers.

Only users listed in FAKTABOT_ADMINS (Config.admins) may use them, in a private chat;
everyone else gets a polite refusal. Uploads are checked for size before and after the
download and parsed whole (knowledge.parse.parse_bytes) before anything is stored, so a
bad file changes nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from faktabot.bot.asking import database_file
from faktabot.bot.handlers import send_html
from faktabot.bot.render import esc, shorten, truncate_html
from faktabot.bot.state import Context
from faktabot.knowledge import Knowledge, Store
from faktabot.knowledge.errors import IngestError, NotFoundError
from faktabot.knowledge.parse import JSONL_SUFFIXES, parse_bytes
from faktabot.knowledge.writes import IngestResult
from telegram import Update

logger = logging.getLogger(__name__)

UPLOAD_SUFFIXES = frozenset({".txt", *JSONL_SUFFIXES})
MAX_LISTED = 30  # articles listed in one reply

ONLY_ADMINS = (
    "Beklager, det kan kun bottens administratorer. "
    "Du er velkommen til at stille mig et spørgsmål 🙂"
)
ONLY_ADMINS_UPLOAD = (
    "Tak, men kun bottens administratorer kan tilføje artikler. "
    "Skriv gerne dit spørgsmål som en almindelig besked."
)
WRONG_TYPE = "Send artikler som en <b>.txt</b>-fil (én artikel) eller <b>.jsonl</b>-fil."
REMOVE_HINT = "Skriv /fjern og artiklens nummer, fx <code>/fjern 3</code>."


def is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data.config.admins


Handler = Callable[[Update, Context], Awaitable[None]]


def admin_only(
    handler: Handler | None = None, *, refusal: str = ONLY_ADMINS
) -> Handler | Callable[[Handler], Handler]:
    """A handler only admins may use; anyone else gets `refusal`, a friendly Danish line.

    Used bare (`@admin_only`) or with the refusal (`@admin_only(refusal=...)`).
    """

    def wrap(inner: Handler) -> Handler:
        @functools.wraps(inner)
        async def checked(update: Update, context: Context) -> None:
            if not is_admin(update, context):
                await send_html(update.effective_message, refusal)
                return
            await inner(update, context)

        return checked

    return wrap(handler) if handler is not None else wrap


def _size(size: int) -> str:
    """A byte count the Danish way: "2,0 MB", "4 kB"."""
    if size >= 1_048_576:
        return f"{size / 1_048_576:.1f}".replace(".", ",") + " MB"
    return f"{max(1, round(size / 1024))} kB"


def _article_line(article_id: int, title: str, facts: int) -> str:
    noun = "sætning" if facts == 1 else "sætninger"
    return f"• #{article_id} {esc(shorten(title, 80))} ({facts} {noun})"


@admin_only(refusal=ONLY_ADMINS_UPLOAD)
async def add_document(update: Update, context: Context) -> None:
    """Add the articles in a .txt or .jsonl file an admin sends; the caption is the title."""
    message = update.effective_message
    document = message.document
    name = document.file_name or "fil.txt"
    limit = context.bot_data.config.max_upload
    if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
        await send_html(message, WRONG_TYPE)
        return
    too_big = f"Filen er for stor. Jeg tager højst imod {_size(limit)}."
    if document.file_size is not None and document.file_size > limit:
        await send_html(message, too_big)
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    if len(data) > limit:  # file_size is optional and only Telegram's word for it
        await send_html(message, too_big)
        return
    try:
        results = await _stored(context.bot_data.kb, data, name, message.caption)
    except IngestError as exc:
        await send_html(
            message,
            "Filen blev ikke tilføjet – jeg kunne ikke læse den:\n"
            f"<code>{esc(str(exc))}</code>\nIngenting er gemt. Ret fejlen, og send filen igen.",
        )
        return
    added = [r.article for r in results if r.added]
    if added:
        context.bot_data.upkeep.wake()  # their sentences are ranked by meaning once embedded
    logger.info(
        "Admin %s uploaded %s: %d added, %d already known",
        update.effective_user.id,
        name,
        len(added),
        len(results) - len(added),
    )
    lines = [f"Tilføjet: {len(added)} af {len(results)} artikler."]
    lines += [_article_line(a.id, a.title, a.facts) for a in added[:MAX_LISTED]]
    if len(results) > len(added):
        lines.append(f"{len(results) - len(added)} kendte jeg i forvejen.")
    await send_html(message, truncate_html("\n".join(lines)))


async def _stored(kb: Knowledge, data: bytes, name: str, title: str | None) -> list[IngestResult]:
    """Parse and store an upload away from the event loop: a file of many articles takes
    seconds, and every chat would wait meanwhile. The work runs in a thread on its own
    connection to the database file (other chats keep reading theirs); a database held
    in memory has only the bot's connection, so it is done here."""
    path = database_file(kb.store)
    if path is None:
        return list(kb.ingest(parse_bytes(data, name, title=title)))

    def store() -> list[IngestResult]:
        items = parse_bytes(data, name, title=title)
        apart = Store.open(path, seed=False)
        try:
            return list(apart.add_many(items))
        finally:
            apart.db.close()

    return await asyncio.to_thread(store)


@admin_only
async def remove_article(update: Update, context: Context) -> None:
    """/fjern ID: remove an article and its sentences; without an id, list the articles."""
    message = update.effective_message
    kb = context.bot_data.kb
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        articles = kb.articles()[-MAX_LISTED:]
        lines = [REMOVE_HINT]
        if articles:
            lines.append("\nDe nyeste artikler:")
            lines += [_article_line(a.id, a.title, a.facts) for a in articles]
        await send_html(message, truncate_html("\n".join(lines)))
        return
    try:
        article = kb.remove(int(args[0]))
    except NotFoundError:
        await send_html(message, f"Der er ingen artikel med nummer {int(args[0])}.")
        return
    logger.info("Admin %s removed article %d", update.effective_user.id, article.id)
    await send_html(message, "Fjernet:\n" + _article_line(article.id, article.title, article.facts))


@admin_only
async def stats(update: Update, context: Context) -> None:
    """/stats: what the bot knows and how it has answered since it started."""
    message = update.effective_message
    counts = context.bot_data.kb.store.counts()
    metrics = context.bot_data.metrics
    await send_html(
        message,
        f"<b>Artikler:</b> {counts['articles']}\n"
        f"<b>Sætninger:</b> {counts['facts']}\n"
        f"<b>Spørgsmål siden start:</b> {metrics.total('questions')}\n"
        f"• besvaret: {metrics.total('answered')}\n"
        f"• «det ved jeg ikke»: {metrics.total('declined')}\n"
        f"<b>Fejl fra Telegram:</b> {metrics.total('telegram_errors')}",
    )
