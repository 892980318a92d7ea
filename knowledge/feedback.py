"""The curator's log: every question asked, and the 👍/👎 votes on the answers.

Operators read it (see `report`) to find where the bot fails. It never holds who asked:
users are known only by a salted hash, the salt lives in the database (created once), and
rows older than the retention period are purged.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .database import writing
from .model import Result
from .store import Store

DEFAULT_RETENTION_DAYS = 90
PURGE_EVERY = timedelta(days=1)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # UTC, as SQLite's datetime() writes it

NEW, CHANGED, SAME = "new", "changed", "same"


def utc_now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    """A moment as stored: UTC text that sorts and groups by day with plain SQL."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class Asked:
    """One logged question: what was asked, where, and what the bot answered."""

    id: int
    at: str
    chat_type: str
    question: str
    fact_id: int | None  # the answer; None when the bot declined
    alternatives: tuple[int, ...]


class Feedback:
    """Question log and votes, in the knowledge database's `asked` and `votes` tables."""

    def __init__(
        self,
        store: Store,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = store.db
        self.retention_days = retention_days
        self.clock = clock
        self._salt: bytes | None = None
        self._purged_at: datetime | None = None

    # -- who -----------------------------------------------------------------

    def salt(self) -> bytes:
        """This database's secret salt, made on first use and kept in `meta`."""
        if self._salt is None:
            with writing(self.db):
                self.db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)",
                    [secrets.token_hex(32)],
                )
                row = self.db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
            self._salt = bytes.fromhex(row[0])
        return self._salt

    def user_hash(self, user_id: int | None) -> str:
        """A stable pseudonym for a user: keyed BLAKE2b of the id, never the id itself."""
        if user_id is None:
            return "-"
        digest = hashlib.blake2b(str(user_id).encode(), key=self.salt(), digest_size=16)
        return digest.hexdigest()

    # -- writing -------------------------------------------------------------

    def log(self, result: Result, *, chat_type: str, user_id: int | None) -> int:
        """Record a question and what the bot did with it; the row id (for vote buttons)."""
        self.purge_if_due()
        answer = result.answer
        alternatives = [hit.fact.id for hit in result.alternatives]
        with writing(self.db):
            cursor = self.db.execute(
                "INSERT INTO asked"
                " (at, chat_type, user_hash, question, fact_id, alternatives, confidence)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    stamp(self.clock()),
                    chat_type,
                    self.user_hash(user_id),
                    result.question,
                    answer.fact.id if answer else None,
                    json.dumps(alternatives),
                    result.explanation.confidence,
                ],
            )
        return cursor.lastrowid

    def vote(self, asked_id: int, user_id: int | None, up: bool) -> str | None:
        """One user's vote on one answer: NEW, CHANGED or SAME; None if the answer is unknown.

        A user has one vote per answer: voting again replaces it.
        """
        user = self.user_hash(user_id)
        value = 1 if up else -1
        with writing(self.db):
            row = self.db.execute("SELECT fact_id FROM asked WHERE id = ?", [asked_id]).fetchone()
            if row is None or row[0] is None:
                return None
            before = self.db.execute(
                "SELECT vote FROM votes WHERE asked_id = ? AND user_hash = ?", [asked_id, user]
            ).fetchone()
            if before is not None and before[0] == value:
                return SAME
            self.db.execute(
                "INSERT INTO votes (asked_id, user_hash, vote, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (asked_id, user_hash) DO UPDATE SET vote = excluded.vote,"
                " at = excluded.at",
                [asked_id, user, value, stamp(self.clock())],
            )
        return NEW if before is None else CHANGED

    # -- reading -------------------------------------------------------------

    def asked(self, asked_id: int) -> Asked | None:
        row = self.db.execute(
            "SELECT id, at, chat_type, question, fact_id, alternatives FROM asked WHERE id = ?",
            [asked_id],
        ).fetchone()
        if row is None:
            return None
        return Asked(*row[:5], tuple(json.loads(row[5])))

    # -- retention -----------------------------------------------------------

    def purge(self) -> int:
        """Delete questions and votes older than the retention period; how many rows went."""
        cutoff = stamp(self.clock() - timedelta(days=self.retention_days))
        with writing(self.db):
            votes = self.db.execute(
                "DELETE FROM votes WHERE at < ? OR asked_id IN (SELECT id FROM asked WHERE at < ?)",
                [cutoff, cutoff],
            ).rowcount
            asked = self.db.execute("DELETE FROM asked WHERE at < ?", [cutoff]).rowcount
        self._purged_at = self.clock()
        return votes + asked

    def purge_if_due(self) -> int:
        """Purge at most once a day (cheap to call on every question)."""
        if self._purged_at is not None and self.clock() - self._purged_at < PURGE_EVERY:
            return 0
        return self.purge()
