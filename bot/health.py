"""Health and metrics for operators: is the bot alive, can it read its knowledge, how
many questions it answers, and how many facts still wait for their sentence vector.

`Metrics` holds Prometheus counters in a registry of its own (one per Application, so
tests and several bots in one process never share counts). `InstrumentedRequest` sees
every Bot API call and records the last good one and the failures by kind. `HealthServer`
answers ``/healthz`` (JSON) and ``/metrics`` (Prometheus text) from the bot's own event
loop, on loopback unless configured otherwise; post_init starts it and post_shutdown
stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from faktabot.knowledge.errors import FaktabotError
from faktabot.knowledge.feeds import INTERVAL_SECONDS, Feed, Round, feeds
from faktabot.knowledge.vectors import VectorCounts, stored_counts
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application
from telegram.request import HTTPXRequest

if TYPE_CHECKING:
    from faktabot.knowledge import Knowledge
    from faktabot.knowledge.model import Result

logger = logging.getLogger(__name__)

NAMESPACE = "faktabot"
READ_TIMEOUT = 5.0  # seconds a client may take to send its request
MAX_REQUEST_LINE = 2048
STALE_ROUNDS = 3  # a feed with no successful fetch in this many intervals is stale
_ERROR_KINDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    429: "rate_limited",
}


class HealthError(FaktabotError):
    """The health endpoint cannot listen where it was told to."""


class Metrics:
    """The bot's counters, in a registry of its own."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.last_telegram_ok: float | None = None
        self.registry = CollectorRegistry()
        own = {"namespace": NAMESPACE, "registry": self.registry}
        self.questions = Counter("questions", "Questions looked up in the knowledge base", **own)
        self.answered = Counter("answered", "Questions answered with a sentence", **own)
        self.declined = Counter("declined", "Questions answered with 'det ved jeg ikke'", **own)
        self.follow_ups = Counter(
            "follow_ups", "Questions looked up with the conversation's last answer", **own
        )
        self.small_talk = Counter(
            "small_talk",
            "Messages that asked no question, by intent (never searched)",
            ["intent"],
            **own,
        )
        self.telegram_errors = Counter(
            "telegram_errors", "Failed Bot API calls by kind", ["kind"], **own
        )
        self.telegram_last_ok = Gauge(
            "telegram_last_success_timestamp_seconds",
            "Unix time of the last successful Bot API call",
            **own,
        )
        self.latency = Histogram(
            "answer_latency_seconds", "Time to look a question up in the knowledge base", **own
        )
        self.semantic = Gauge("semantic", "1 when questions are matched by meaning too", **own)
        self.vectors = Gauge("vectors", "Facts that have a sentence vector", **own)
        self.vectors_missing = Gauge(
            "vectors_missing", "Facts still waiting for their sentence vector", **own
        )
        self.feed_polls = Counter(
            "feed_polls", "Feeds fetched, by outcome (ok, unchanged, empty, …)", ["status"], **own
        )
        self.feed_articles = Counter(
            "feed_articles", "Articles from feeds: added, updated or failed", ["outcome"], **own
        )
        self.feed_age = Gauge(
            "feed_seconds_since_success",
            "Seconds since each feed was last fetched successfully",
            ["feed"],
            **own,
        )

    def observe(self, result: Result, seconds: float) -> None:
        """Count one chat message: a looked-up question (and how long the lookup took), or
        small talk."""
        if result.intent is not None:
            self.small_talk.labels(result.intent.name).inc()
            return
        self.questions.inc()
        if result.about is not None:
            self.follow_ups.inc()
        if result.answer is not None:
            self.answered.inc()
        elif result.problem is None:
            self.declined.inc()
        self.latency.observe(seconds)

    def saw_vectors(self, semantic: bool, counts: VectorCounts) -> None:
        """Set the vector gauges (read from the database at each scrape)."""
        self.semantic.set(int(semantic))
        self.vectors.set(counts.have)
        self.vectors_missing.set(counts.missing)

    def saw_round(self, done: Round) -> None:
        """Count one polling round of the feeds."""
        for status in done.outcomes.values():
            self.feed_polls.labels(status).inc()
        for outcome, n in (
            ("added", done.added),
            ("updated", done.updated),
            ("failed", done.errors),
        ):
            if n:
                self.feed_articles.labels(outcome).inc(n)

    def saw_feeds(self, followed: list[Feed], now: datetime) -> None:
        """Each feed's time since its last success (since it was followed, before one)."""
        self.feed_age.clear()
        for feed in followed:
            self.feed_age.labels(feed.url).set(feed_age(feed, now))

    def telegram_ok(self) -> None:
        self.last_telegram_ok = self.clock()
        self.telegram_last_ok.set_to_current_time()

    def telegram_failed(self, kind: str) -> None:
        self.telegram_errors.labels(kind).inc()

    def total(self, name: str) -> int:
        """A counter's value, summed over its labels ("questions", "telegram_errors", ...)."""
        metric = f"{NAMESPACE}_{name}_total"
        return int(
            sum(
                sample.value
                for family in self.registry.collect()
                for sample in family.samples
                if sample.name == metric
            )
        )

    def snapshot(self) -> dict[str, Any]:
        """The numbers /healthz reports."""
        now = self.clock()
        last = self.last_telegram_ok
        return {
            "uptime_seconds": round(now - self.started, 3),
            "telegram": {
                "last_success_seconds_ago": None if last is None else round(now - last, 3),
                "errors": self.total("telegram_errors"),
            },
            "questions": {
                "total": self.total("questions"),
                "answered": self.total("answered"),
                "declined": self.total("declined"),
                "follow_ups": self.total("follow_ups"),
                "small_talk": self.total("small_talk"),
            },
        }


def error_kind(status: int) -> str:
    """The telegram_errors_total label for an HTTP status from the Bot API."""
    if status >= 500:
        return "server"
    return _ERROR_KINDS.get(status, "other")


class InstrumentedRequest(HTTPXRequest):
    """The standard HTTPX transport, telling `metrics` how each Bot API call went.

    Sends, long polls and file downloads all pass through here, so "last success" means
    Telegram answered us, whichever way updates arrive.
    """

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        try:
            status, payload = await super().do_request(url, method, *args, **kwargs)
        except TimedOut:
            self.metrics.telegram_failed("timeout")
            raise
        except NetworkError:
            self.metrics.telegram_failed("network")
            raise
        if status < 300:
            self.metrics.telegram_ok()
        else:
            self.metrics.telegram_failed(error_kind(status))
        return status, payload


def vector_counts(kb: Knowledge) -> VectorCounts:
    """How many facts have a vector (of the model in use, or of the last one when off)."""
    return kb.vectors.counts() if kb.vectors is not None else stored_counts(kb.store)


def feed_age(feed: Feed, now: datetime) -> float:
    """Seconds since the feed last worked (since it was followed, if it never has)."""
    stamp = feed.succeeded or feed.added
    then = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return max(0.0, (now - then).total_seconds())


def stale_feeds(followed: list[Feed], interval: float, now: datetime) -> list[str]:
    """Feeds with no successful fetch in STALE_ROUNDS polling intervals."""
    return [f.url for f in followed if feed_age(f, now) > STALE_ROUNDS * interval]


def check(
    kb: Knowledge, metrics: Metrics, *, feed_interval: float = INTERVAL_SECONDS
) -> tuple[int, dict[str, Any]]:
    """The /healthz status and body: 503 when the database cannot be read. Stale feeds are
    named, but the bot still answers: they do not make it unhealthy."""
    body: dict[str, Any] = {"status": "ok"}
    try:
        counts = kb.store.counts()
        vectors = vector_counts(kb)
        followed = feeds(kb.store)
    except sqlite3.Error as exc:
        body["status"] = "error"
        body["database"] = {"ok": False, "error": str(exc)}
    else:
        body["database"] = {"ok": True, "articles": counts["articles"], "facts": counts["facts"]}
        body["semantic"] = {
            "on": kb.semantic,
            "model": vectors.model,
            "vectors": vectors.have,
            "missing": vectors.missing,
        }
        now = datetime.now(UTC)
        body["feeds"] = {
            "followed": len(followed),
            "stale": stale_feeds(followed, feed_interval, now),
        }
    body.update(metrics.snapshot())
    return (200 if body["status"] == "ok" else 503), body


class HealthServer:
    """A minimal HTTP/1.0 server for /healthz and /metrics on the bot's event loop."""

    def __init__(self, application: Application, host: str, port: int) -> None:
        self.application = application
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port)
        except OSError as exc:
            raise HealthError(
                f"cannot serve /healthz on {self.host}:{self.port} ({exc.strerror or exc}); "
                "set FAKTABOT_HEALTH_PORT to another port or to 0"
            ) from exc
        self.port = self._server.sockets[0].getsockname()[1]
        logger.info("Health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), READ_TIMEOUT)
            self._server = None

    def respond(self, method: str, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request."""
        if method not in {"GET", "HEAD"}:
            return 405, "text/plain; charset=utf-8", b"method not allowed\n"
        metrics: Metrics = self.application.bot_data.metrics
        path = path.split("?", 1)[0]
        if path == "/healthz":
            interval = self.application.bot_data.config.feed_interval
            status, body = check(self.application.bot_data.kb, metrics, feed_interval=interval)
            return status, "application/json", json.dumps(body).encode() + b"\n"
        if path == "/metrics":
            kb = self.application.bot_data.kb
            # The counters need no database; the vector gauges keep their last values
            # when it cannot be read.
            with contextlib.suppress(sqlite3.Error):
                metrics.saw_vectors(kb.semantic, vector_counts(kb))
                metrics.saw_feeds(feeds(kb.store), datetime.now(UTC))
            return 200, CONTENT_TYPE_LATEST, generate_latest(metrics.registry)
        return 404, "text/plain; charset=utf-8", b"not found\n"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), READ_TIMEOUT)
            while (header := await asyncio.wait_for(reader.readline(), READ_TIMEOUT)).strip():
                if len(header) > MAX_REQUEST_LINE:
                    return
            parts = line.decode("latin-1").split()
            if len(line) > MAX_REQUEST_LINE or len(parts) != 3:
                status, kind, body = 400, "text/plain; charset=utf-8", b"bad request\n"
            else:
                status, kind, body = self.respond(parts[0], parts[1])
            head = (
                f"HTTP/1.0 {status} {HTTPStatus(status).phrase}\r\n"
                f"Content-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + (body if parts[:1] != ["HEAD"] else b""))
            await writer.drain()
        except (TimeoutError, ConnectionError, ValueError):
            pass  # a slow or broken client; nothing to answer
        finally:
            writer.close()


async def start_server(application: Application) -> None:
    """post_init: serve /healthz and /metrics when the configuration asks for it."""
    config = application.bot_data.config
    if not config.health_port:
        return
    server = HealthServer(application, config.health_listen, config.health_port)
    await server.start()
    application.bot_data.health_server = server


async def stop_server(application: Application) -> None:
    """post_shutdown: stop serving (a no-op when it never started)."""
    server, application.bot_data.health_server = application.bot_data.health_server, None
    if server is not None:
        await server.stop()
