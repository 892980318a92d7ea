"""Feeds in the running bot: the polling job, /nyt for everyone, and /folg, /stopfolg and
/feeds for admins.

A polling round runs in a thread on its own connection to the database file (as an
admin's upload does), so chats are answered meanwhile; the bot's own Knowledge sees the
new articles at its next question, when the content version has moved. The job is
scheduled in post_init, every FAKTABOT_FEED_INTERVAL seconds, and at most one round runs
at a time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot import render
from bot.admin import ONLY_ADMINS, is_admin
from bot.asking import database_file
from bot.handlers import CONFIG, KB, METRICS, UPKEEP, send_html
from knowledge import Store
from knowledge.errors import FaktabotError, IngestError, NotFoundError
from knowledge.feeds import Round, feeds, follow, poll, unfollow
from knowledge.fetch import Fetcher

logger = logging.getLogger(__name__)

JOB = "feeds"
STOP = "feeds_stop"  # bot_data: a threading.Event that ends a round early at shutdown
FIRST_ROUND_SECONDS = 2.0  # after start-up, so that the bot answers before it fetches
LATEST = 10  # articles /nyt lists


def schedule(application: Application) -> None:
    """post_init: poll the feeds every interval (a no-op round when none is followed)."""
    config = application.bot_data[CONFIG]
    application.bot_data[STOP] = threading.Event()
    application.job_queue.run_repeating(
        poll_feeds,
        interval=config.feed_interval,
        first=min(FIRST_ROUND_SECONDS, config.feed_interval),
        name=JOB,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )


def stop(application: Application) -> None:
    """post_shutdown: a round in progress stops before its next page."""
    event = application.bot_data.get(STOP)
    if event is not None:
        event.set()


async def poll_feeds(context: ContextTypes.DEFAULT_TYPE) -> None:
    """One polling round, away from the event loop; its counts go to the metrics."""
    kb = context.bot_data[KB]
    config = context.bot_data[CONFIG]
    path = database_file(kb.store)
    options = {"interval": config.feed_interval, "max_age_days": config.max_age_days}
    stop_event = context.bot_data[STOP]

    def round_on_file() -> Round:
        store = Store.open(path, seed=False)
        try:
            with Fetcher() as fetcher:
                return poll(store, fetcher, stop=stop_event, **options)
        finally:
            store.db.close()

    try:
        if path is None:  # a database in memory has only the bot's own connection
            with Fetcher() as fetcher:
                done = poll(kb.store, fetcher, stop=stop_event, **options)
        else:
            done = await asyncio.to_thread(round_on_file)
    except FaktabotError as exc:
        logger.warning("Polling the feeds failed: %s", exc)
        return
    context.bot_data[METRICS].saw_round(done)
    if done.feeds:
        logger.info(
            "Polled %d feeds in %.1f s: %d unchanged, %d failed; %d articles added, "
            "%d updated, %d failed, %d expired",
            done.feeds,
            done.seconds,
            done.unchanged,
            done.failed,
            done.added,
            done.updated,
            done.errors,
            done.expired,
        )
    if done.changed:
        context.bot_data[UPKEEP].wake()  # new sentences get their vectors


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/nyt: the newest articles."""
    kb = context.bot_data[KB]
    kb.refresh()
    await send_html(update.effective_message, render.latest_html(kb.store.articles(latest=LATEST)))


async def follow_feed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/folg URL: follow a feed (admins)."""
    message = update.effective_message
    if not is_admin(update, context):
        await send_html(message, ONLY_ADMINS)
        return
    if len(context.args or []) != 1:
        await send_html(message, render.FOLLOW_HINT)
        return
    try:
        feed = follow(context.bot_data[KB].store, context.args[0])
    except IngestError:
        await send_html(message, render.FOLLOW_HINT)
        return
    logger.info("Admin %s follows %s", update.effective_user.id, feed.url)
    await send_html(message, render.followed_html(feed.url))


async def unfollow_feed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stopfolg URL: stop following a feed (admins); its articles stay."""
    message = update.effective_message
    if not is_admin(update, context):
        await send_html(message, ONLY_ADMINS)
        return
    if len(context.args or []) != 1:
        await send_html(message, render.UNFOLLOW_HINT)
        return
    try:
        feed = unfollow(context.bot_data[KB].store, context.args[0])
    except NotFoundError:
        await send_html(message, render.not_followed_html(context.args[0]))
        return
    logger.info("Admin %s unfollows %s", update.effective_user.id, feed.url)
    await send_html(message, render.unfollowed_html(feed))


async def list_feeds(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feeds: every feed with its status (admins)."""
    message = update.effective_message
    if not is_admin(update, context):
        await send_html(message, ONLY_ADMINS)
        return
    now = datetime.now(UTC)
    await send_html(message, render.feeds_html(feeds(context.bot_data[KB].store), now=now))
