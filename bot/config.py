"""Settings for the Telegram adapter, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from knowledge.errors import FaktabotError

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_USER_RATE = 20
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_RETENTION_DAYS = 90  # days the curator's question log and votes are kept


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
        rate_text = env.get("FAKTABOT_USER_RATE", "").strip()
        try:
            user_rate = int(rate_text) if rate_text else DEFAULT_USER_RATE
        except ValueError:
            raise ConfigError(
                f"FAKTABOT_USER_RATE must be a whole number, not {rate_text!r}"
            ) from None
        if user_rate < 1:
            raise ConfigError("FAKTABOT_USER_RATE must be at least 1")
        level = (env.get("FAKTABOT_LOG_LEVEL", "").strip() or DEFAULT_LOG_LEVEL).upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError(
                f"FAKTABOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR: {level!r}"
            )
        db = env.get("FAKTABOT_DB", "").strip()
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            api_base_url=env.get("TELEGRAM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL,
            db_path=db or None,
            user_rate=user_rate,
            log_level=level,
            retention_days=_retention_days(env),
        )


def _retention_days(env: Mapping[str, str]) -> int:
    """FAKTABOT_RETENTION_DAYS: whole days, at least one."""
    text = env.get("FAKTABOT_RETENTION_DAYS", "").strip()
    if not text:
        return DEFAULT_RETENTION_DAYS
    if not text.isdecimal() or int(text) < 1:
        raise ConfigError(f"FAKTABOT_RETENTION_DAYS must be a whole number of days: {text!r}")
    return int(text)
