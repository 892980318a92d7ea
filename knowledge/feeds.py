"""Feeds an operator follows: RSS or Atom, polled for new and corrected articles.

A round (`poll`) fetches every feed that is due, a few requests at once, each with the
validators of its last answer, so an unchanged feed costs a 304 and nothing more. Of a
changed feed it fetches the pages of items it has not seen, and of items whose date
stamp moved (a corrected or updated story); each page's article replaces the older
version at the same address (`Store.add`). A feed that fails is tried again after the
poll interval, doubled with every failure in a row, up to six hours; its status says
why in one line. Nothing here knows of Telegram: the bot runs rounds in a thread, the
CLI runs one by hand.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import httpx

from .database import writing
from .errors import FaktabotError, IngestError, NotFoundError
from .extract import article_from_html, believable_date
from .fetch import Fetcher, FetchError, Page
from .model import ArticleInput
from .parse import check_url
from .store import Store

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 600
MAX_BACKOFF_SECONDS = 6 * 3600
CONCURRENT_REQUESTS = 4  # at once, over every feed and page of a round
PAGES_AHEAD = 4  # pages fetched per request slot before they are stored
STOP_CHECK_SECONDS = 0.1  # how often a round waiting for the network looks for a stop
MAX_ITEMS = 100  # items read from one feed, in its own order (the newest first, as a rule)
MAX_TRIES = 3  # rounds in a row an item's page may fail before it waits for a change
# A story is often corrected with no word in its feed: for RECHECK_DAYS after an item was
# first seen, its page is fetched again (a conditional GET) at most every RECHECK_SECONDS.
RECHECK_SECONDS = 3600
RECHECK_DAYS = 2
FEED_TYPES = ("xml", "rss", "atom")  # a Content-Type naming none of these is still tried


@dataclass(frozen=True, slots=True)
class Feed:
    url: str
    title: str | None
    status: str  # "new", "ok", "unchanged", "empty", "invalid", "error"
    detail: str  # one line: what went wrong, or what the last round brought
    checked: str | None  # the last fetch, UTC "YYYY-MM-DD HH:MM:SS"
    succeeded: str | None  # the last fetch that worked (a 304 included)
    failures: int  # in a row
    articles: int  # articles of its items in the database now
    added: str  # when it was followed


@dataclass(slots=True)
class Round:
    """What one polling round did."""

    feeds: int = 0
    unchanged: int = 0
    failed: int = 0  # feeds that could not be fetched or read
    added: int = 0
    updated: int = 0  # articles replaced by a newer version of their page
    same: int = 0  # pages fetched again whose text had not changed
    errors: int = 0  # pages that could not be fetched or held no article
    expired: int = 0
    seconds: float = 0.0
    outcomes: dict[str, str] = field(default_factory=dict)  # feed -> status

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.expired)


@dataclass(frozen=True, slots=True)
class _Item:
    feed: str
    link: str
    stamp: str
    title: str | None
    date: str | None
    etag: str | None = None  # the page's validators, when it is fetched again
    modified: str | None = None


def follow(store: Store, url: str) -> Feed:
    """Register a feed (it is fetched at the next round); following it twice is a no-op."""
    url = check_url(url.strip(), "feed")
    try:
        httpx.URL(url).host.encode("idna")
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise IngestError(f"feed: invalid url {url!r}; its host name is not valid") from exc
    with writing(store.db):
        store.db.execute("INSERT OR IGNORE INTO feeds (url) VALUES (?)", [url])
    return feed(store, url)


def unfollow(store: Store, url: str) -> Feed:
    """Stop following a feed; its articles stay. NotFoundError when it was not followed."""
    found = feed(store, url.strip())
    with writing(store.db):
        store.db.execute("DELETE FROM feeds WHERE url = ?", [found.url])
    return found


_FEED_COLUMNS = (
    "f.url, f.title, f.status, f.detail, f.checked, f.succeeded, f.failures,"
    " (SELECT count(DISTINCT i.article_url) FROM feed_items i JOIN articles a"
    "  ON a.url = i.article_url WHERE i.feed = f.url), f.added"
)


def feeds(store: Store) -> list[Feed]:
    rows = store.db.execute(f"SELECT {_FEED_COLUMNS} FROM feeds f ORDER BY f.added, f.url")
    return [Feed(*row) for row in rows]


def feed(store: Store, url: str) -> Feed:
    row = store.db.execute(f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.url = ?", [url])
    found = row.fetchone()
    if found is None:
        raise NotFoundError(f"not following {url}")
    return Feed(*found)


def poll(
    store: Store,
    fetcher: Fetcher,
    *,
    force: bool = False,
    interval: float = INTERVAL_SECONDS,
    max_age_days: int | None = None,
    requests: int = CONCURRENT_REQUESTS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    stop: threading.Event | None = None,
    recheck_seconds: float = RECHECK_SECONDS,
) -> Round:
    """One round over the feeds that are due (every feed with `force`).

    Articles older than `max_age_days` are expired at the end of the round. When `stop`
    is set, the pages not yet fetched are left for the next round.
    """
    stop = stop or threading.Event()
    started = time.perf_counter()
    now = clock()
    result = Round()
    due = [
        row
        for row in store.db.execute("SELECT url, etag, modified, retry_at, failures FROM feeds")
        if force or row[3] is None or row[3] <= _stamp(now)
    ]
    result.feeds = len(due)

    def fetch(url: str, etag: str | None, modified: str | None) -> Page | FetchError:
        return _attempt(fetcher, url, etag, modified)

    feeds_in = _in_order(lambda row: fetch(*row[:3]), due, workers=requests, stop=stop)
    for (url, _, _, _, failures), page in zip(due, feeds_in, strict=False):
        if page is None:
            break
        try:
            _read_feed(store, url, page, failures, result, now, interval)
        except sqlite3.IntegrityError:  # unfollowed while its answer was on the way
            result.outcomes[url] = "unfollowed"
    todo = _pending(store, [row[0] for row in due], now, recheck_seconds)
    # A few pages ahead of the one being stored, not the whole round at once: the bodies
    # held stay bounded (a page may be 5 MB), and a stop leaves the rest unfetched.
    ahead = max(1, requests) * PAGES_AHEAD
    for at in range(0, len(todo), ahead):
        chunk = todo[at : at + ahead]
        pages = _in_order(lambda i: fetch(i.link, i.etag, i.modified), chunk, requests, stop)
        for item, page in zip(chunk, pages, strict=False):
            if page is None:
                break
            _store_item(store, item, page, result, now)
        if stop.is_set():
            break
    if max_age_days is not None:
        cutoff = (now - timedelta(days=max_age_days)).date().isoformat()
        result.expired = len(store.expire(cutoff))
    result.seconds = time.perf_counter() - started
    return result


def _in_order(
    fetch: Callable[[Any], Page | FetchError], items: list, workers: int, stop: threading.Event
) -> Iterator[Page | FetchError | None]:
    """`fetch` of each item, `workers` at once, yielded in the items' order; None (and no
    more) once `stop` is set.

    The threads are daemons of their own, not a ThreadPoolExecutor's: at a stop, requests
    in flight are left to end by themselves, and they hold neither the round nor the
    process's exit (an executor's threads are joined at exit, each up to its timeouts).
    """
    results: list[Page | FetchError | None] = [None] * len(items)
    done = [threading.Event() for _ in items]
    queue = iter(range(len(items)))
    lock = threading.Lock()

    def work() -> None:
        while not stop.is_set():
            with lock:
                index = next(queue, None)
            if index is None:
                return
            try:
                results[index] = fetch(items[index])
            except Exception as exc:  # a closed client at shutdown, or worse: that item's
                results[index] = FetchError(f"{exc or type(exc).__name__}", kind="network")
            done[index].set()

    for _ in range(min(max(1, workers), len(items))):
        threading.Thread(target=work, name="faktabot-fetch", daemon=True).start()
    for index in range(len(items)):
        while not done[index].wait(STOP_CHECK_SECONDS):
            if stop.is_set():
                yield None
                return
        yield results[index]


def _attempt(
    fetcher: Fetcher, url: str, etag: str | None, modified: str | None
) -> Page | FetchError:
    try:
        return fetcher.get(url, etag=etag, modified=modified)
    except FetchError as exc:
        return exc


def _read_feed(
    store: Store,
    url: str,
    page: Page | FetchError,
    failures: int,
    result: Round,
    now: datetime,
    interval: float,
) -> None:
    """Record how the feed's fetch went, and its new or changed items as pending."""
    if isinstance(page, FetchError):
        result.failed += 1
        _record(store, url, now, "error", str(page), failed=failures + 1, interval=interval)
        result.outcomes[url] = "error"
        return
    if page.unchanged:  # the status and detail of its last change still hold
        result.unchanged += 1
        with writing(store.db):
            store.db.execute(
                "UPDATE feeds SET checked = ?, succeeded = ?, failures = 0, retry_at = NULL"
                " WHERE url = ?",
                [_stamp(now)] * 2 + [url],
            )
        result.outcomes[url] = "unchanged"
        return
    parsed = _parse(page)
    if isinstance(parsed, str):
        result.failed += 1
        _record(store, url, now, "invalid", parsed, failed=failures + 1, interval=interval)
        result.outcomes[url] = "invalid"
        return
    title, entries, flaw = parsed
    items, linkless = _items(url, page.url, entries, now)
    # Items seen before with the same date stamp are not new: a pending one or one whose
    # page failed fewer than MAX_TRIES times is fetched again by `_pending`, not here.
    known = dict(
        store.db.execute("SELECT link, stamp FROM feed_items WHERE feed = ?", [url]).fetchall()
    )
    fresh = [i for i in items if known.get(i.link) != i.stamp]
    if not entries:
        status, detail = "empty", "the feed has no items"
    elif not items:
        status, detail = "invalid", f"none of its {linkless} items links to an article"
    else:
        status = "ok"
        detail = f"{len(items)} items, {len(fresh)} new or changed"
        if linkless:
            detail += f", {linkless} without a link"
    if flaw:
        detail += f" (the feed has errors: {flaw})"
    with writing(store.db):
        _record(store, url, now, status, detail, validators=(page.etag, page.modified), title=title)
        store.db.conn.executemany(
            "INSERT INTO feed_items (feed, link, stamp, title, date, status, tries, seen)"
            " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?) ON CONFLICT (feed, link) DO UPDATE SET"
            " stamp = excluded.stamp, title = excluded.title, date = excluded.date,"
            " status = 'pending', tries = 0",
            [(i.feed, i.link, i.stamp, i.title, i.date, _stamp(now)) for i in fresh],
        )
    if status == "invalid":
        result.failed += 1
    result.outcomes[url] = status


def _pending(store: Store, urls: list[str], now: datetime, recheck: float) -> list[_Item]:
    """The items of these feeds whose pages are to be fetched: new or changed ones, ones
    that failed fewer than MAX_TRIES times (a round stopped early leaves some), and recent
    ones not fetched for `recheck` seconds."""
    if not urls:
        return []
    marks = ",".join("?" * len(urls))
    rows = store.db.execute(
        "SELECT feed, link, stamp, title, date, etag, modified FROM feed_items"
        f" WHERE feed IN ({marks}) AND (status = 'pending' OR (status = 'error' AND tries < ?)"
        " OR (status = 'ok' AND seen >= ? AND coalesce(fetched, '') <= ?))",
        [
            *urls,
            MAX_TRIES,
            _stamp(now - timedelta(days=RECHECK_DAYS)),
            _stamp(now - timedelta(seconds=recheck)),
        ],
    )
    return [_Item(*row) for row in rows]


def _parse(page: Page) -> tuple[str | None, list[Any], str | None] | str:
    """(feed title, entries, what is wrong with its XML), or why the body is no feed."""
    import feedparser

    parsed = feedparser.parse(
        page.body, response_headers={"content-type": page.content_type or "application/xml"}
    )
    if parsed.bozo and not parsed.entries and not parsed.feed.get("title"):
        reason = getattr(parsed, "bozo_exception", None)
        if not parsed.version and page.content_type == "text/html":
            return "the address is a web page, not an RSS or Atom feed"
        return f"not a valid RSS or Atom feed ({_one_line(reason)})"
    if not parsed.version and not parsed.entries:
        return "not an RSS or Atom feed"
    flaw = _one_line(getattr(parsed, "bozo_exception", None)) if parsed.bozo else None
    return parsed.feed.get("title") or None, list(parsed.entries), flaw


def _items(
    feed_url: str, base: str, entries: Iterable[Any], now: datetime
) -> tuple[list[_Item], int]:
    """The feed's items that link to a page (at most MAX_ITEMS), and how many did not.

    A relative link is read against the feed's own address (`base`, after redirects).
    """
    items: dict[str, _Item] = {}
    linkless = 0
    for entry in entries:
        link = (entry.get("link") or "").strip()
        try:
            link = check_url(urljoin(base, link), feed_url) if link else ""
        except (IngestError, ValueError):
            link = ""
        if not link:
            linkless += 1
            continue
        if link in items or len(items) >= MAX_ITEMS:
            continue
        # feedparser maps a missing "updated" to "published" with a warning: ask for each.
        stamp = (entry["updated"] if "updated" in entry else entry.get("published")) or ""
        date = _entry_date(entry, now)
        items[link] = _Item(feed_url, link, stamp, entry.get("title"), date)
    return list(items.values()), linkless


def _entry_date(entry: Any, now: datetime) -> str | None:
    """The item's date (its update's, else its publication's); none when in the future."""
    # Not .get(): feedparser would fall back to the publication date, with a warning.
    updated = entry["updated_parsed"] if "updated_parsed" in entry else None  # noqa: SIM401
    parsed = updated or entry.get("published_parsed")
    return believable_date(time.strftime("%Y-%m-%d", parsed) if parsed else None, now)


def _store_item(
    store: Store, item: _Item, page: Page | FetchError, result: Round, now: datetime
) -> None:
    """Extract and store one item's article; record the item either way."""
    validators: tuple[str | None, str | None] = (item.etag, item.modified)
    article_url = None
    try:
        if isinstance(page, FetchError):
            raise page
        if page.unchanged:
            result.same += 1
            status = "ok"
        else:
            validators = (page.etag, page.modified)
            found = article_from_html(page.text(), page.url)
            outcome = store.add(_with_feed_details(found, item))
            article_url = outcome.article.url
            if outcome.replaced is not None:
                result.updated += 1
            elif outcome.added:
                result.added += 1
            else:
                result.same += 1
            status = "ok"
    except FaktabotError as exc:
        result.errors += 1
        status = "error"
        logger.info("Feed item %s: %s", item.link, exc)
    except Exception:  # a page nobody foresaw must not end the round (nor the next ones)
        result.errors += 1
        status = "error"
        logger.warning("Feed item %s could not be read", item.link, exc_info=True)
    with writing(store.db):
        store.db.execute(
            "UPDATE feed_items SET etag = ?, modified = ?, fetched = ?,"
            " article_url = coalesce(?, article_url), status = ?,"
            " tries = CASE WHEN ? = 'ok' THEN 0 ELSE tries + 1 END WHERE feed = ? AND link = ?",
            [*validators, _stamp(now), article_url, status, status, item.feed, item.link],
        )


def _with_feed_details(found: ArticleInput, item: _Item) -> ArticleInput:
    """The page's own title and date first; the feed's where the page had none."""
    return ArticleInput(
        found.text,
        found.title or (item.title or "").strip() or None,
        found.date or item.date,
        found.url,
        found.source,
    )


def _record(
    store: Store,
    url: str,
    now: datetime,
    status: str,
    detail: str,
    *,
    failed: int = 0,
    interval: float = INTERVAL_SECONDS,
    validators: tuple[str | None, str | None] | None = None,
    title: str | None = None,
) -> None:
    """Write a feed's status; a failure also sets when it is tried again (backoff)."""
    stamp = _stamp(now)
    with writing(store.db):
        if failed:
            wait = min(interval * 2 ** (failed - 1), MAX_BACKOFF_SECONDS)
            store.db.execute(
                "UPDATE feeds SET checked = ?, status = ?, detail = ?, failures = ?,"
                " retry_at = ? WHERE url = ?",
                [stamp, status, detail, failed, _stamp(now + timedelta(seconds=wait)), url],
            )
            return
        etag, modified = validators or (None, None)
        store.db.execute(
            "UPDATE feeds SET checked = ?, succeeded = ?, status = ?, detail = ?, failures = 0,"
            " retry_at = NULL, etag = coalesce(?, etag), modified = coalesce(?, modified),"
            " title = coalesce(?, title) WHERE url = ?",
            [stamp, stamp, status, detail, etag, modified, title, url],
        )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _one_line(reason: object) -> str:
    return " ".join(str(reason or "unreadable").split())[:200]
