"""The tables, and the named migrations that bring any older database up to them.

A database's `PRAGMA user_version` is the last migration applied, and the `migrations`
table records each one by name with when it ran (NULL: before records were kept). Each
migration runs as one savepoint inside the opener's write transaction, so it lands whole
or not at all, and a process opening a database that another is upgrading waits for it.
A migration must also leave an older database that already has its change as it found
it: some tables of early versions were made whole by later code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils

from .database import writing
from .errors import SchemaError, StorageError

Apply = Callable[[sqlite_utils.Database], None]


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    apply: Apply


def _script(sql: str) -> Apply:
    """A migration that runs SQL statements one by one (`executescript` would commit)."""

    def apply(db: sqlite_utils.Database) -> None:
        for statement in statements(sql):
            db.execute(statement)

    return apply


def statements(script: str) -> list[str]:
    """Split a script into statements; SQLite itself says where one ends (triggers hold
    inner semicolons)."""
    out, current = [], ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return out


def _columns(db: sqlite_utils.Database, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _add_column(table: str, column: str, definition: str) -> Apply:
    def apply(db: sqlite_utils.Database) -> None:
        if column not in _columns(db, table):
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    return apply


def _paragraphs(db: sqlite_utils.Database) -> None:
    """The first databases stored facts without a paragraph number; re-analysis fills it."""
    _add_column("facts", "paragraph", "INTEGER NOT NULL DEFAULT 0")(db)
    db.execute("CREATE INDEX IF NOT EXISTS facts_paragraph ON facts(article_id, paragraph)")


def _feed_times(db: sqlite_utils.Database) -> None:
    for column in ("seen", "fetched"):
        _add_column("feed_items", column, "TEXT")(db)


def _drop_guards(db: sqlite_utils.Database) -> None:
    """Columns that held word-salad guards the matcher stopped reading: each article's
    repeat ratio (`story`) and each sentence's share of shared words (`cohesion`)."""
    for table, column in (("articles", "story"), ("facts", "cohesion")):
        if column in _columns(db, table):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


MIGRATIONS = (
    Migration(
        1,
        "articles, facts and their full-text index",
        _script("""
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    title_keys TEXT NOT NULL DEFAULT '',
    date TEXT,
    url TEXT,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    added TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS facts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    norm TEXT NOT NULL,
    terms TEXT NOT NULL,
    parts TEXT NOT NULL,
    UNIQUE (article_id, position)
);
CREATE INDEX IF NOT EXISTS facts_paragraph ON facts(article_id, paragraph);
CREATE TABLE IF NOT EXISTS words (
    norm TEXT PRIMARY KEY,
    raw TEXT NOT NULL,
    df INTEGER NOT NULL
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS facts_fts USING fts5(
    terms, parts, content='facts', content_rowid='id', tokenize='unicode61'
);
CREATE VIRTUAL TABLE IF NOT EXISTS facts_vocab USING fts5vocab(facts_fts, 'row');
CREATE TRIGGER IF NOT EXISTS facts_ad AFTER DELETE ON facts BEGIN
    INSERT INTO facts_fts(facts_fts, rowid, terms, parts)
    VALUES ('delete', old.id, old.terms, old.parts);
END;
"""),
    ),
    # The curator's log (questions asked, votes on answers) and a meta table holding the
    # salt for user hashes and a counter that moves only when articles change, so a log
    # write does not make Knowledge rebuild its index statistics.
    Migration(
        2,
        "question log, votes and content version",
        _script("""
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('content_version', '0');
CREATE TRIGGER IF NOT EXISTS articles_version_ai AFTER INSERT ON articles BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'content_version';
END;
CREATE TRIGGER IF NOT EXISTS articles_version_ad AFTER DELETE ON articles BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'content_version';
END;
CREATE TRIGGER IF NOT EXISTS articles_version_au AFTER UPDATE ON articles BEGIN
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'content_version';
END;
CREATE TABLE IF NOT EXISTS asked (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    chat_type TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    question TEXT NOT NULL,
    fact_id INTEGER,
    alternatives TEXT NOT NULL DEFAULT '[]',
    confidence REAL
);
CREATE INDEX IF NOT EXISTS asked_at ON asked(at);
CREATE TABLE IF NOT EXISTS votes (
    asked_id INTEGER NOT NULL REFERENCES asked(id) ON DELETE CASCADE,
    user_hash TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    at TEXT NOT NULL,
    PRIMARY KEY (asked_id, user_hash)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS votes_at ON votes(at);
"""),
    ),
    Migration(3, "paragraph numbers", _paragraphs),
    Migration(4, "title keys", _add_column("articles", "title_keys", "TEXT NOT NULL DEFAULT ''")),
    # New facts are indexed by the writer in one statement per transaction, not by a
    # trigger row by row (the trigger made FTS5 flush its pending terms once per row).
    Migration(6, "facts indexed in bulk", _script("DROP TRIGGER IF EXISTS facts_ai;")),
    # Sentence vectors for matching by meaning (`vectors`), made by the model that meta's
    # 'vector_model' names; a fact's vector goes with it.
    Migration(
        7,
        "sentence vectors",
        _script("""
CREATE TABLE IF NOT EXISTS vectors (
    fact_id INTEGER PRIMARY KEY REFERENCES facts(id) ON DELETE CASCADE,
    vector BLOB NOT NULL
);
"""),
    ),
    # Articles are known by their address (a new version of a page replaces the old one),
    # and the feeds an operator follows (`feeds`): each feed's last fetch and validators
    # for a conditional GET, and each item seen in it.
    Migration(
        8,
        "article addresses and feeds",
        _script("""
CREATE INDEX IF NOT EXISTS articles_url ON articles(url) WHERE url IS NOT NULL;
CREATE INDEX IF NOT EXISTS asked_fact ON asked(fact_id) WHERE fact_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    title TEXT,
    added TEXT NOT NULL DEFAULT (datetime('now')),
    etag TEXT,
    modified TEXT,
    checked TEXT,
    succeeded TEXT,
    status TEXT NOT NULL DEFAULT 'new',
    detail TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feed_items (
    feed TEXT NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
    link TEXT NOT NULL,
    stamp TEXT NOT NULL DEFAULT '',
    title TEXT,
    date TEXT,
    etag TEXT,
    modified TEXT,
    article_url TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    tries INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (feed, link)
) WITHOUT ROWID;
"""),
    ),
    # When each feed item was first seen and its page last fetched: a recent story's page
    # is fetched again now and then, for corrections its feed does not announce.
    Migration(9, "feed item times", _feed_times),
    Migration(10, "word-salad guards dropped", _drop_guards),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

_RECORD = """
CREATE TABLE IF NOT EXISTS migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied TEXT
)
"""


def user_version(db: sqlite_utils.Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> bool:
    """Bring the database up to SCHEMA_VERSION; True when it was new (version 0)."""
    version = user_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"database schema {version} is newer than this faktabot ({SCHEMA_VERSION});"
            " upgrade faktabot"
        )
    if version == SCHEMA_VERSION:
        return False
    with writing(db):
        db.execute(_RECORD)
        db.conn.executemany(  # what an older faktabot applied without recording it
            "INSERT OR IGNORE INTO migrations (version, name, applied) VALUES (?, ?, NULL)",
            [(m.version, m.name) for m in MIGRATIONS if m.version <= version],
        )
    for migration in MIGRATIONS:
        if migration.version > version:
            with writing(db):
                migration.apply(db)
                db.execute(
                    "INSERT OR REPLACE INTO migrations (version, name, applied) VALUES (?, ?, ?)",
                    [migration.version, migration.name, datetime.now(UTC).isoformat()],
                )
                db.execute(f"PRAGMA user_version = {migration.version}")
    return version == 0


def check_version(db: sqlite_utils.Database) -> None:
    """A database opened read-only is used as it stands: it must not need a migration."""
    version = user_version(db)
    if version != SCHEMA_VERSION:
        raise StorageError(
            f"the database is read-only and has schema {version}, this faktabot "
            f"{SCHEMA_VERSION}: open it once where it can be written, to upgrade it"
        )
