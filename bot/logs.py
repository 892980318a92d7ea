"""Logging set-up that keeps the bot token out of every log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"

# A Bot API token is "<bot id>:<secret>"; in URLs it follows "/bot".
TOKEN_PATTERN = re.compile(r"(?<![\w:])(?:bot)?\d{5,}:[A-Za-z0-9_-]{20,}")
_NOISY_LOGGERS = ("httpx", "httpcore")


class RedactTokenFilter(logging.Filter):
    """Replace bot tokens in a record's message, traceback and stack with a placeholder.

    It rewrites the record in place, so every handler after this one sees the clean text.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_PATTERN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed log call must not crash the caller
            message = f"{record.msg} {record.args}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(level: str | int = "INFO", *, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, quiet httpx, and redact tokens on every root handler."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    redactor = RedactTokenFilter(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactTokenFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redactor)
