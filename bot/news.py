"""Feeds in the running bot: the polling job, /nyt for everyone, and /folg, /stopfolg and
/feeds for admins.

A polling round runs in a thread on its own connection to the database file (`Poller`),
so chats are answered meanwhile; the bot's own Knowledge sees the new articles at its
next question, when the content version has moved. The job is scheduled in post_init,
every FAKTABOT_FEED_INTERVAL seconds, and at most one round runs at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from faktabot.bot import render
from faktabot.bot.admin import admin_only
from faktabot.bot.asking import database_file
from faktabot.bot.config import Config
from faktabot.bot.handlers import send_html
from faktabot.bot.health import Metrics
from faktabot.bot.state import Context
from faktabot.knowledge import Store
from faktabot.knowledge.errors import FaktabotError, IngestError, NotFoundError
from faktabot.knowledge.feeds import Feed, Round, feeds, follow, poll, unfollow
from faktabot.knowledge.fetch import Fetcher
from telegram import Update
from telegram.ext import Application

logger = logging.getLogger(__name__)

JOB = "feeds"
FIRST_ROUND_SECONDS = 2.0  # after start-up, so that the bot answers before it fetches
CLOSE_SECONDS = 5.0  # how long shutdown waits for a round's requests in flight
LATEST = 10  # articles /nyt lists


class Poller:
    """Runs polling rounds in a thread of its own, one at a time; the JobQueue wakes it.

    The job itself returns at once, so PTB's shutdown (which waits for running jobs)
    never waits for a round. `close` stops a round before its next request and closes
    the connections of the requests in flight, so that none holds the process's exit
    for its timeout. The thread has its own connection to the database file, as an
    admin's upload has. A round that fails in a way nobody foresaw is logged, and the
    next one runs as usual.
    """

    def __init__(
        self, path: str, config: Config, metrics: Metrics, on_change: Callable[[], None]
    ) -> None:
        self.path = path
        self.options = {"interval": config.feed_interval, "max_age_days": config.max_age_days}
        self.allow_private = config.fetch_private
        self.metrics = metrics
        self.on_change = on_change
        self.fetcher: Fetcher | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faktabot-feeds", daemon=True)

    def wake(self) -> None:
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()
        self._wake.set()

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        self._stop.set()
        self._wake.set()
        if self.fetcher is not None:
            with contextlib.suppress(Exception):  # whatever the requests in flight say
                self.fetcher.close()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        store = Store.open(self.path, seed=False)
        self.fetcher = Fetcher(allow_private=self.allow_private)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stop.is_set():
                    return
                self._round(store, self.fetcher)
        finally:
            self.fetcher.close()
            store.db.close()

    def _round(self, store: Store, fetcher: Fetcher) -> None:
        try:
            done = poll(store, fetcher, stop=self._stop, **self.options)
        except (FaktabotError, sqlite3.Error) as exc:
            logger.warning("Polling the feeds failed: %s", exc)
            return
        except Exception:
            if not self._stop.is_set():  # at shutdown, closed connections fail as they should
                logger.exception("A polling round failed; the next one runs as usual")
            return
        report(done, self.metrics)
        if done.changed:
            self.on_change()


def schedule(application: Application) -> None:
    """post_init: poll the feeds every interval (a no-op round when none is followed)."""
    config = application.bot_data.config
    kb = application.bot_data.kb
    path = database_file(kb.store)
    if path is not None:
        loop = asyncio.get_running_loop()
        upkeep = application.bot_data.upkeep
        application.bot_data.poller = Poller(
            path,
            config,
            application.bot_data.metrics,
            on_change=lambda: loop.call_soon_threadsafe(upkeep.wake),
        )
    application.job_queue.run_repeating(
        poll_feeds,
        interval=config.feed_interval,
        first=min(FIRST_ROUND_SECONDS, config.feed_interval),
        name=JOB,
    )


async def stop(application: Application) -> None:
    """post_shutdown: a round in progress stops before its next page."""
    poller, application.bot_data.poller = application.bot_data.poller, None
    if poller is not None:
        await asyncio.to_thread(poller.close)


async def poll_feeds(context: Context) -> None:
    """Wake the poller for a round. A database in memory has only the bot's own
    connection, so there (tests, trials) the round runs here, holding up answers."""
    poller = context.bot_data.poller
    if poller is not None:
        poller.wake()
        return
    config = context.bot_data.config
    with Fetcher(allow_private=config.fetch_private) as fetcher:
        done = poll(
            context.bot_data.kb.store,
            fetcher,
            interval=config.feed_interval,
            max_age_days=config.max_age_days,
        )
    report(done, context.bot_data.metrics)
    if done.changed:
        context.bot_data.upkeep.wake()


def report(done: Round, metrics: Metrics) -> None:
    """Count a round in the metrics, and log it when it polled anything."""
    metrics.saw_round(done)
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


async def latest(update: Update, context: Context) -> None:
    """/nyt: the newest articles."""
    kb = context.bot_data.kb
    kb.refresh()
    await send_html(update.effective_message, render.latest_html(kb.store.articles(latest=LATEST)))


@admin_only
async def follow_feed(update: Update, context: Context) -> None:
    """/folg URL: follow a feed (admins)."""
    await _change_feed(
        update, context, follow, hint=render.FOLLOW_HINT, done=lambda f: render.followed_html(f.url)
    )


@admin_only
async def unfollow_feed(update: Update, context: Context) -> None:
    """/stopfolg URL: stop following a feed (admins); its articles stay."""
    await _change_feed(
        update, context, unfollow, hint=render.UNFOLLOW_HINT, done=render.unfollowed_html
    )


async def _change_feed(
    update: Update,
    context: Context,
    change: Callable[[Store, str], Feed],
    *,
    hint: str,
    done: Callable[[Feed], str],
) -> None:
    """Follow or unfollow the one feed address the command names, and say what was done."""
    message = update.effective_message
    if len(context.args or []) != 1:
        await send_html(message, hint)
        return
    url = context.args[0]
    try:
        feed = change(context.bot_data.kb.store, url)
    except IngestError:  # not a feed address
        await send_html(message, hint)
        return
    except NotFoundError:  # not followed
        await send_html(message, render.not_followed_html(url))
        return
    logger.info("Admin %s: %s %s", update.effective_user.id, change.__name__, feed.url)
    await send_html(message, done(feed))


@admin_only
async def list_feeds(update: Update, context: Context) -> None:
    """/feeds: every feed with its status (admins)."""
    message = update.effective_message
    now = datetime.now(UTC)
    await send_html(message, render.feeds_html(feeds(context.bot_data.kb.store), now=now))
