"""Logging set-up that keeps the bot token out of every log line, and network errors short."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable

from telegram.error import NetworkError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"

# A Bot API token is "<bot id>:<secret>"; in URLs it follows "/bot".
TOKEN_PATTERN = re.compile(r"(?<![\w:])(?:bot)?\d{5,}:[A-Za-z0-9_-]{20,}")
_NOISY_LOGGERS = ("httpx", "httpcore")
# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_NUMBERS = (int, float, bool, type(None))  # extras that cannot hide a token


def extra_fields(record: logging.LogRecord) -> dict[str, object]:
    """The fields a log call added with `extra=`."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, `extra` fields and traceback."""

    def format(self, record: logging.LogRecord) -> str:
        created = dt.datetime.fromtimestamp(record.created, dt.UTC)
        entry: dict[str, object] = {
            "time": created.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(extra_fields(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


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
        for key, value in extra_fields(record).items():  # JSON output shows these too
            if not isinstance(value, _NUMBERS):
                setattr(record, key, self.redact(str(value)))
        return True


class BriefNetworkErrors(logging.Filter):
    """A network error is logged in one line, without its traceback.

    Without a network PTB logs its failed start-up with 200 lines of httpx traceback; what
    went wrong fits in the error's own message ("All connection attempts failed").
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NetworkError):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = str(record.msg)
            record.msg = f"{message} ({type(error).__name__}: {error.message})"
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


class _StderrHandler(logging.StreamHandler):
    """The handler configure_logging adds, so a second call can find and re-format it."""


def configure_logging(
    level: str | int = "INFO", *, secrets: Iterable[str] = (), fmt: str = "text"
) -> None:
    """Log to stderr at `level` as text or JSON lines (`fmt`), quiet httpx, and redact
    tokens on every root handler."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(_StderrHandler())
    formatter = JsonFormatter() if fmt == "json" else logging.Formatter(LOG_FORMAT)
    for handler in root.handlers:
        if isinstance(handler, _StderrHandler):
            handler.setFormatter(formatter)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    redactor = RedactTokenFilter(secrets)
    for handler in root.handlers:
        for old in [
            f for f in handler.filters if isinstance(f, RedactTokenFilter | BriefNetworkErrors)
        ]:
            handler.removeFilter(old)
        handler.addFilter(BriefNetworkErrors())  # first: the redactor formats tracebacks
        handler.addFilter(redactor)
