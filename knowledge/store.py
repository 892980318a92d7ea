"""The SQLite store: articles, their sentence-level facts and a full-text index.

One `Store` wraps one `sqlite_utils.Database` (a file or memory). It is put together from
parts, each in its own module: `database` (the file and its transactions), `schema` (the
tables and their migrations), `reads`, `writes` and `bulk` (the ingest worker). Every
write is one transaction, so a reader in another process never sees half an article.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import sqlite_utils

from .analysis import analysis_fingerprint
from .database import (
    BUSY_MS,
    database_path,
    default_path,
    open_read_only,
    open_writable,
    storage_error,
    writable,
    writing,
)
from .errors import StorageError
from .lexicon import DATA
from .parse import parse_text
from .schema import check_version, migrate
from .writes import Writer

logger = logging.getLogger(__name__)

HEALTH_CHECK_BYTES = 256 * 2**20  # ingest quick-checks a database file up to this size


class Store(Writer):
    """Articles and facts in one SQLite database."""

    def __init__(
        self, db: sqlite_utils.Database, *, seed: bool = True, read_only: bool = False
    ) -> None:
        self.db = db
        self.read_only = read_only
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        if read_only:
            check_version(self.db)
            if self.meta("analysis") != analysis_fingerprint():
                logger.warning(
                    "The read-only database was analysed by another faktabot; answers may suffer"
                )
            return
        # The schema and the seed article in one transaction: a first run stopped halfway
        # leaves no database without its seed, and a process opening a database another
        # is creating waits, then finds both.
        with writing(self.db):
            if migrate(self.db) and seed:
                self.add(parse_text(seed_text(), source="seed_article.txt"))
        if self.meta("analysis") != analysis_fingerprint():
            with writing(self.db):
                if self.meta("analysis") != analysis_fingerprint():  # not done meanwhile
                    self.reanalyse()

    @classmethod
    def open(
        cls, path: str | Path | None = None, *, seed: bool = True, read_only: bool | None = None
    ) -> Store:
        """Open (or create) the database at `path`; ":memory:" keeps it in memory.

        A database that cannot be written (a read-only mount or file; or `read_only`) is
        opened as it stands: questions are answered, and a write fails ("attempt to write
        a readonly database"). Anything else that keeps the file from use is a
        StorageError saying what.
        """
        if str(path) == ":memory:":
            return cls(sqlite_utils.Database(memory=True), seed=seed)
        path = Path(path) if path is not None else default_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot make the folder {path.parent}: {exc.strerror}") from exc
        try:
            if read_only is None:
                read_only = path.exists() and not writable(path)
            if read_only:
                return cls(open_read_only(path), seed=False, read_only=True)
            return cls(open_writable(path), seed=seed)
        except sqlite3.DatabaseError as exc:
            raise storage_error(path, exc) from exc

    def check_health(self, *, max_bytes: int = HEALTH_CHECK_BYTES) -> None:
        """Refuse to write into a damaged database: a StorageError naming the repair.

        An ingest into a file with corrupted pages would report its articles added while
        questions on the same file fail. SQLite's quick_check reads every page, so a file
        over `max_bytes` (an archive of several hundred thousand sentences) is only
        checked for a readable schema.
        """
        path = database_path(self.db)
        size = path.stat().st_size if path is not None and path.exists() else 0
        try:
            self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            problem = None
            if size <= max_bytes:
                problem = self.db.execute("PRAGMA quick_check(1)").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
        if problem not in (None, "ok"):
            problem = " ".join(problem.replace("*** in database main ***", "").split())
            name = path or "the database"
            raise StorageError(
                f"{name} is damaged ({problem}); nothing was written. Recover what can be: "
                f"sqlite3 {name} .recover | sqlite3 recovered.db"
            )


def seed_text() -> str:
    """The bundled article every new database starts with."""
    return (DATA / "seed_article.txt").read_text(encoding="utf-8")
