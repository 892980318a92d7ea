"""The SQLite file: where it lives, how it is opened, and its transactions.

Everything here is about the file and the connection, nothing about what the tables hold:
`schema` creates and upgrades them, `reads` and `writes` use them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import sqlite_utils

from .errors import StorageError

BUSY_MS = 5000  # how long a writer waits for another process's transaction to end
MMAP_BYTES = 256 * 2**20
# Pages of a new database file (SQLite's default is 4,096): a bulk ingest writes a quarter
# as many pages (docs/benchmarks.md). Set before the first write: a file keeps its size.
PAGE_BYTES = 16_384


def default_path() -> Path:
    """Where the database lives unless FAKTABOT_DB or --db says otherwise."""
    env = os.environ.get("FAKTABOT_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("faktabot")) / "faktabot.db"


def database_path(db: sqlite_utils.Database) -> Path | None:
    """The file of a database, or None when it lives in memory."""
    rows = db.execute("PRAGMA database_list").fetchall()
    name = next((row[2] for row in rows if row[1] == "main"), "")
    return Path(name) if name else None


def writable(path: Path) -> bool:
    """Whether SQLite can write here: the file, and its folder (WAL mode adds files)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def open_writable(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")  # others may be creating it too
    db.execute(f"PRAGMA page_size = {PAGE_BYTES}")
    db.execute("PRAGMA synchronous = NORMAL")
    # Reading the index through a memory map skips a copy per page (questions run faster);
    # bounded, so a large archive's resident memory stays low.
    db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    if db.journal_mode != "wal":
        db.enable_wal()
    return db


def open_read_only(path: Path) -> sqlite_utils.Database:
    """The file as it stands, never written: `immutable` needs neither the -shm file WAL
    mode would create nor a lock, which a read-only mount cannot give."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True)
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    return sqlite_utils.Database(conn)


def storage_error(path: Path | str, exc: sqlite3.Error) -> StorageError:
    """One line for what SQLite said about the database at `path`."""
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return StorageError(
            f"{path} is damaged or not a faktabot database ({text}); "
            "move it away to start afresh, or restore a backup"
        )
    if "disk is full" in text or "disk I/O" in text:
        return StorageError(f"cannot write {path}: {text}")
    if "readonly" in text or "unable to open" in text:
        return StorageError(f"cannot write {path}: it is read-only ({text})")
    return StorageError(f"database {path}: {text}")


@contextlib.contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A write transaction that takes the write lock when it begins (BEGIN IMMEDIATE).

    sqlite-utils' `atomic()` begins a deferred transaction, and one that reads before it
    writes fails at once with "database is locked" when another process wrote in between:
    SQLite cannot wait that out. Taking the lock first makes a second writer wait its turn
    (up to `busy_timeout`). Inside another transaction it is a savepoint, as `atomic()` is.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    try:
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


@contextlib.contextmanager
def reading(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A read transaction: every statement inside sees the database as it was at the first
    (a write committed meanwhile by another connection is not seen halfway). Inside
    another transaction it adds nothing."""
    if db.conn.in_transaction:
        yield db
        return
    db.execute("BEGIN")
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.execute("COMMIT")
