"""Settings for the Telegram adapter, read once from the environment."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from faktabot.knowledge.dialogue import FOLLOW_UP_SECONDS
from faktabot.knowledge.embed import MODES as SEMANTIC_MODES
from faktabot.knowledge.errors import FaktabotError
from faktabot.knowledge.feedback import DEFAULT_RETENTION_DAYS
from faktabot.knowledge.feeds import INTERVAL_SECONDS as FEED_INTERVAL_SECONDS

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_USER_RATE = 20
DEFAULT_LOG_LEVEL = "INFO"
LOG_FORMATS = ("text", "json")
DEFAULT_LISTEN = "127.0.0.1"
DEFAULT_PORT = 8443
DEFAULT_HEALTH_PORT = 9090
DEFAULT_MAX_UPLOAD = 2 * 1024 * 1024
# Processes that look questions up (bot.asking); each holds its own copy of the index
# statistics in memory. 0 looks them up in the bot's own event loop.
DEFAULT_WORKERS = min(4, os.cpu_count() or 1)
MAX_WORKERS = 64
MAX_UPLOAD_LIMIT = 20 * 1024 * 1024  # bots cannot download bigger files from Telegram
# Telegram's rule for setWebhook's secret_token.
DEFAULT_FOLLOW_UP_SECONDS = int(FOLLOW_UP_SECONDS)  # 0 turns follow-ups off
DEFAULT_FEED_INTERVAL = int(FEED_INTERVAL_SECONDS)
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(FaktabotError, ValueError):
    """An environment variable has a value the bot cannot use."""


@dataclass(frozen=True, slots=True)
class Config:
    """What the bot needs to start; the token never shows up in repr()."""

    token: str = field(default="", repr=False)
    api_base_url: str = DEFAULT_API_BASE_URL
    db_path: str | None = None  # passed as is to Knowledge.open
    user_rate: int = DEFAULT_USER_RATE
    log_level: str = DEFAULT_LOG_LEVEL
    retention_days: int = DEFAULT_RETENTION_DAYS
    log_format: str = "text"
    # Webhook mode when webhook_url is set: Telegram posts to it, we listen on listen:port.
    webhook_url: str | None = None
    listen: str = DEFAULT_LISTEN
    port: int = DEFAULT_PORT
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    # /healthz and /metrics; 0 means off. from_env turns it on (DEFAULT_HEALTH_PORT).
    health_port: int = 0
    health_listen: str = DEFAULT_LISTEN
    admins: frozenset[int] = frozenset()
    max_upload: int = DEFAULT_MAX_UPLOAD
    workers: int = DEFAULT_WORKERS
    # Matching by meaning: "auto" is on when the semantic extra is installed.
    semantic: str = "auto"
    # How long a conversation remembers its last answer for follow-up questions.
    follow_up_seconds: int = DEFAULT_FOLLOW_UP_SECONDS
    # How often the running bot polls the feeds it follows (`faktabot follow`).
    feed_interval: int = DEFAULT_FEED_INTERVAL
    # Articles dated longer ago than this are removed after each polling round; None keeps all.
    max_age_days: int | None = None
    # Fetch pages and feeds on this machine or its private network too (off: refused).
    fetch_private: bool = False

    @property
    def has_token(self) -> bool:
        return bool(self.token)

    @property
    def api_file_url(self) -> str:
        """The file download base URL that belongs to api_base_url.

        Telegram serves files from ``<host>/file/bot<token>/...`` next to ``<host>/bot<token>/``,
        and so does a local Bot API server, so the last ``/bot`` becomes ``/file/bot``.
        """
        head, sep, tail = self.api_base_url.rpartition("/bot")
        if not sep:
            return self.api_base_url.rstrip("/") + "/file/bot"
        return f"{head}/file/bot{tail}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        user_rate = _number(env, "FAKTABOT_USER_RATE", DEFAULT_USER_RATE, low=1)
        level = (env.get("FAKTABOT_LOG_LEVEL", "").strip() or DEFAULT_LOG_LEVEL).upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(
                f"FAKTABOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR: {level!r}"
            )
        log_format = env.get("FAKTABOT_LOG_FORMAT", "").strip().lower() or "text"
        if log_format not in LOG_FORMATS:
            raise ConfigError(f"FAKTABOT_LOG_FORMAT must be text or json: {log_format!r}")
        db = env.get("FAKTABOT_DB", "").strip()
        health = env.get("FAKTABOT_HEALTH_PORT", "").strip().lower()
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
            db_path=db or None,
            user_rate=user_rate,
            log_level=level,
            retention_days=_number(env, "FAKTABOT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, low=1),
            log_format=log_format,
            webhook_url=_webhook_url(env.get("FAKTABOT_WEBHOOK_URL", "").strip()),
            listen=env.get("FAKTABOT_LISTEN", "").strip() or DEFAULT_LISTEN,
            port=_number(env, "FAKTABOT_PORT", DEFAULT_PORT, low=1, high=65535),
            webhook_secret=_webhook_secret(env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()),
            health_port=0
            if health == "off"
            else _number(env, "FAKTABOT_HEALTH_PORT", DEFAULT_HEALTH_PORT, low=0, high=65535),
            health_listen=env.get("FAKTABOT_HEALTH_LISTEN", "").strip() or DEFAULT_LISTEN,
            admins=_admins(env.get("FAKTABOT_ADMINS", "")),
            max_upload=_number(
                env, "FAKTABOT_MAX_UPLOAD", DEFAULT_MAX_UPLOAD, low=1, high=MAX_UPLOAD_LIMIT
            ),
            workers=_number(env, "FAKTABOT_WORKERS", DEFAULT_WORKERS, low=0, high=MAX_WORKERS),
            follow_up_seconds=_number(
                env, "FAKTABOT_FOLLOW_UP_SECONDS", DEFAULT_FOLLOW_UP_SECONDS, low=0, high=86_400
            ),
            semantic=semantic_mode(env),
            feed_interval=_number(
                env, "FAKTABOT_FEED_INTERVAL", DEFAULT_FEED_INTERVAL, low=1, high=7 * 86_400
            ),
            max_age_days=max_age_days(env),
            fetch_private=fetch_private(env),
        )


def fetch_private(env: Mapping[str, str] | None = None) -> bool:
    """FAKTABOT_FETCH_PRIVATE: 1 lets feeds and pages on private addresses be fetched."""
    env = os.environ if env is None else env
    text = env.get("FAKTABOT_FETCH_PRIVATE", "").strip().lower()
    if text in {"", "0", "false", "no", "off"}:
        return False
    if text in {"1", "true", "yes", "on"}:
        return True
    raise ConfigError(f"FAKTABOT_FETCH_PRIVATE must be 1 or 0, not {text!r}")


def max_age_days(env: Mapping[str, str] | None = None) -> int | None:
    """FAKTABOT_MAX_AGE_DAYS: expire older articles; unset (the default) keeps everything.

    Read on its own too, for `faktabot fetch`, which needs no token.
    """
    env = os.environ if env is None else env
    if not env.get("FAKTABOT_MAX_AGE_DAYS", "").strip():
        return None
    return _number(env, "FAKTABOT_MAX_AGE_DAYS", 0, low=1, high=100 * 366)


def semantic_mode(env: Mapping[str, str] | None = None) -> str:
    """FAKTABOT_SEMANTIC: auto (the default), on or off.

    Read on its own too, because every CLI command opens the knowledge, not only `run`.
    """
    env = os.environ if env is None else env
    mode = env.get("FAKTABOT_SEMANTIC", "").strip().lower() or "auto"
    if mode not in SEMANTIC_MODES:
        raise ConfigError(f"FAKTABOT_SEMANTIC must be auto, on or off, not {mode!r}")
    return mode


def _number(
    env: Mapping[str, str], name: str, default: int, *, low: int, high: int | None = None
) -> int:
    """A whole-number variable within [low, high], or `default` when unset."""
    text = env.get(name, "").strip()
    try:
        value = int(text) if text else default
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
    if value < low:
        raise ConfigError(f"{name} must be at least {low}")
    if high is not None and value > high:
        raise ConfigError(f"{name} must be at most {high}")
    return value


def _webhook_url(url: str) -> str | None:
    """Telegram needs an absolute http(s) URL (https unless it is a local Bot API server)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"FAKTABOT_WEBHOOK_URL must be an http(s):// address, not {url!r}")
    return url


def _webhook_secret(secret: str) -> str:
    """The secret Telegram echoes in X-Telegram-Bot-Api-Secret-Token; a random one if unset."""
    if not secret:
        return secrets.token_urlsafe(32)
    if not WEBHOOK_SECRET.fullmatch(secret):
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
        )
    return secret


def _admins(text: str) -> frozenset[int]:
    """Comma-separated Telegram user ids."""
    ids = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        if not re.fullmatch(r"\d{1,20}", part):
            raise ConfigError(f"FAKTABOT_ADMINS must list numeric Telegram user ids: {part!r}")
        ids.add(int(part))
    return frozenset(ids)
