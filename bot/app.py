"""Build and run the Telegram application: the one place where handlers are wired."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from faktabot.bot import admin, asking, curator, embedding, handlers, health, news, render
from faktabot.bot.config import Config
from faktabot.bot.logs import configure_logging
from faktabot.bot.state import CONTEXT_TYPES, BotData
from faktabot.knowledge.dialogue import Memory
from faktabot.knowledge.feedback import Feedback
from telegram import BotCommand, Update
from telegram.error import NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

if TYPE_CHECKING:
    from faktabot.knowledge import Knowledge

logger = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 1.0  # start-up without a network: the first wait, doubled each time
LAST_RETRY_SECONDS = 60.0
# Updates in progress at once. A few per worker keep the workers busy while replies go
# out; many more only make every request scan a bigger HTTP connection pool.
CONCURRENT_UPDATES = 8

__all__ = ["build_application", "configure_logging", "run"]


async def post_init(application: Application) -> None:
    """Start-up work, after building and before the first update: apply the question
    log's retention, start the workers, the embedding of new facts, the health endpoint
    and the feed polling, and publish the command menu (in Danish)."""
    data: BotData = application.bot_data
    data.feedback.purge()  # retention applies at start-up, then daily as questions come in
    await data.asker.start()
    data.upkeep.start()
    await application.bot.set_my_commands([BotCommand(c, d) for c, d in render.COMMANDS])
    logger.info("Running as @%s", application.bot.username)
    await health.start_server(application)
    news.schedule(application)


async def post_shutdown(application: Application) -> None:
    """Stop the feed polling, the health endpoint, the worker processes and the embedding."""
    await news.stop(application)
    await health.stop_server(application)
    await application.bot_data.asker.stop()
    # Waits for the embedding batch in hand (a second or so), away from the event loop.
    await asyncio.to_thread(application.bot_data.upkeep.close)


def remember_sniffio_is_missing() -> None:
    """Make httpcore's `import sniffio` on every request cheap when sniffio is not installed.

    httpcore 1.0 asks sniffio which async library runs, and assumes asyncio when the import
    fails; anyio 4 no longer installs sniffio, and a failed import searches every sys.path
    entry again each time (about a tenth of the bot's time under load). A None entry in
    sys.modules is Python's own way to say "not importable": the import fails at once.
    """
    try:
        import sniffio  # noqa: F401
    except ImportError:
        sys.modules.setdefault("sniffio", None)


def build_application(kb: Knowledge, config: Config) -> Application:
    """The bot: Telegram connection settings, shared state and every handler.

    Building writes nothing and starts nothing; `post_init` does the start-up work.
    """
    remember_sniffio_is_missing()
    metrics = health.Metrics()
    application = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_base_url)
        .base_file_url(config.api_file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .request(health.InstrumentedRequest(metrics, connection_pool_size=256))
        # A long poll cancelled at shutdown can hold its pooled connection for a moment; a
        # second connection lets the final getUpdates (which confirms the offset) go through.
        .get_updates_request(health.InstrumentedRequest(metrics, connection_pool_size=2))
        # Updates are handled concurrently (a question waits for its worker while others are
        # read and answered), but each chat's one after another, in order.
        .concurrent_updates(asking.ChatOrder(CONCURRENT_UPDATES))
        .context_types(CONTEXT_TYPES)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    data: BotData = application.bot_data
    data.metrics = metrics
    data.kb = kb
    data.config = config
    data.asker = asking.Asker(kb, config.workers, log_format=config.log_format)
    data.upkeep = embedding.VectorUpkeep(kb)
    data.flood = handlers.FloodGate(config.user_rate)
    data.feedback = Feedback(kb.store, retention_days=config.retention_days)
    data.recent = curator.Recent()
    data.conversations = Memory(config.follow_up_seconds)

    new = filters.UpdateType.MESSAGE  # edited messages are not asked again
    private = filters.ChatType.PRIVATE & new
    groups = filters.ChatType.GROUPS & new
    application.add_handlers(
        [
            CommandHandler(["start", "help"], handlers.start, filters=new),
            CommandHandler("om", handlers.about, filters=new),
            CommandHandler("kilder", handlers.sources, filters=new),
            CommandHandler("nyt", news.latest, filters=new),
            CommandHandler("folg", news.follow_feed, filters=private),
            CommandHandler("stopfolg", news.unfollow_feed, filters=private),
            CommandHandler("feeds", news.list_feeds, filters=private),
            CommandHandler("spoerg", handlers.ask_command, filters=new),
            CommandHandler("hvorfor", curator.why, filters=new),
            CommandHandler("fjern", admin.remove_article, filters=private),
            CommandHandler("stats", admin.stats, filters=private),
            MessageHandler(private & filters.Document.ALL, admin.add_document),
            MessageHandler(private & filters.COMMAND, handlers.unknown_command),
            MessageHandler(private & filters.TEXT, handlers.ask_private),
            # A caption under a photo or video is a question too (a document's caption is
            # the title of an admin's upload, handled above).
            MessageHandler(private & filters.CAPTION, handlers.ask_private),
            MessageHandler(
                groups
                & (filters.TEXT & ~filters.COMMAND | filters.CAPTION)
                & handlers.AddressedToBot(),
                handlers.ask_group,
            ),
            MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.not_text),
            CallbackQueryHandler(handlers.show_fact, pattern=r"^f:\d{1,18}$"),
            CallbackQueryHandler(handlers.show_more, pattern=r"^m:\d{1,18}$"),
            CallbackQueryHandler(curator.vote, pattern=r"^v:[+-]:\d{1,18}$"),
            InlineQueryHandler(handlers.inline_query),
        ]
    )
    application.add_error_handler(handlers.error_handler)
    return application


def run(config: Config, kb: Knowledge, *, retry_seconds: float = FIRST_RETRY_SECONDS) -> None:
    """Start logging and take updates until SIGINT or SIGTERM: by polling, or on a webhook
    when config.webhook_url is set. Either way, updates already taken are answered first.

    Without a network at start-up (Telegram unreachable), it logs one line and tries again
    after 1, 2, 4 … seconds (at most a minute apart) until Telegram answers.
    """
    secrets = [config.token, config.webhook_secret]
    configure_logging(config.log_level, secrets=secrets, fmt=config.log_format)
    delay = retry_seconds
    while True:
        try:
            _serve(build_application(kb, config), config)
            return
        except NetworkError as exc:
            logger.warning("Cannot reach Telegram (%s); trying again in %g s", exc.message, delay)
            time.sleep(delay)
            delay = min(delay * 2, LAST_RETRY_SECONDS)


def _serve(application: Application, config: Config) -> None:
    """Poll or serve the webhook; the event loop stays open for another try."""
    if config.webhook_url is None:
        application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
        return
    application.run_webhook(
        listen=config.listen,
        port=config.port,
        url_path=urlsplit(config.webhook_url).path,
        webhook_url=config.webhook_url,
        secret_token=config.webhook_secret,
        allowed_updates=Update.ALL_TYPES,
        drop_pending_updates=False,
        close_loop=False,
    )
