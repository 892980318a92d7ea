"""The SQLite store: articles, their sentence-level facts and a full-text index.

One `Store` wraps one `sqlite_utils.Database` (a file or memory). Every write is
one transaction, so a reader in another process never sees half an article.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import sqlite_utils

from .analyze import sentence_terms
from .errors import NotFoundError
from .lexicon import DATA
from .model import Article, ArticleInput, Fact
from .normalize import normalize_text
from .parse import parse_text
from .segment import split_sentences

SCHEMA_VERSION = 2
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
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
CREATE TRIGGER IF NOT EXISTS facts_ai AFTER INSERT ON facts BEGIN
    INSERT INTO facts_fts(rowid, terms, parts) VALUES (new.id, new.terms, new.parts);
END;
CREATE TRIGGER IF NOT EXISTS facts_ad AFTER DELETE ON facts BEGIN
    INSERT INTO facts_fts(facts_fts, rowid, terms, parts)
    VALUES ('delete', old.id, old.terms, old.parts);
END;
"""


# Additive upgrades: the statements that take a database from version N - 1 to N.
_MIGRATIONS = {
    # 2: the curator's log (questions asked, votes on answers) and a meta table holding the
    # salt for user hashes and a counter that moves only when articles change, so a log write
    # does not make Knowledge rebuild its index statistics.
    2: """
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
""",
}


def default_path() -> Path:
    """Where the database lives unless FAKTABOT_DB or --db says otherwise."""
    env = os.environ.get("FAKTABOT_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("faktabot")) / "faktabot.db"


def content_hash(text: str) -> str:
    """Identity of an article's text: whitespace and case do not make a new article."""
    return hashlib.sha256(" ".join(text.split()).casefold().encode()).hexdigest()


def derive_title(text: str, *, words: int = 8) -> str:
    """An article without a title is named by its first words."""
    first = text.split()[:words]
    title = " ".join(first)
    return title + (" …" if len(text.split()) > words else "")


@dataclass(frozen=True, slots=True)
class IngestResult:
    article: Article
    added: bool  # False when the same text was already stored


class Store:
    """Articles and facts in one SQLite database."""

    def __init__(self, db: sqlite_utils.Database, *, seed: bool = True) -> None:
        self.db = db
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 5000")
        fresh = self._migrate()
        if fresh and seed:
            self.add(parse_text(seed_text(), source="seed_article.txt"))

    @classmethod
    def open(cls, path: str | Path | None = None, *, seed: bool = True) -> Store:
        """Open (or create) the database at `path`; ":memory:" keeps it in memory."""
        if str(path) == ":memory:":
            return cls(sqlite_utils.Database(memory=True), seed=seed)
        path = Path(path) if path is not None else default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite_utils.Database(path)
        db.execute("PRAGMA synchronous = NORMAL")
        if db.journal_mode != "wal":
            db.enable_wal()
        return cls(db, seed=seed)

    def _migrate(self) -> bool:
        """Create or upgrade the schema; True when the database was new."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"database schema {version} is newer than this faktabot")
        if version == SCHEMA_VERSION:
            return False
        with self.db.atomic():
            for statement in _statements(_SCHEMA):
                self.db.execute(statement)
            for target, script in _MIGRATIONS.items():
                if version < target:
                    for statement in _statements(script):
                        self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return version == 0

    # -- writing -------------------------------------------------------------

    def add(self, item: ArticleInput) -> IngestResult:
        """Store one article and its facts in one transaction; the same text twice is a no-op."""
        digest = content_hash(item.text)
        existing = self.db.execute("SELECT id FROM articles WHERE hash = ?", [digest]).fetchone()
        if existing:
            return IngestResult(self.article(existing[0]), added=False)
        spans = split_sentences(item.text)
        with self.db.atomic():
            cur = self.db.execute(
                "INSERT INTO articles (title, date, url, hash, text) VALUES (?, ?, ?, ?, ?)",
                [item.title or derive_title(item.text), item.date, item.url, digest, item.text],
            )
            article_id = cur.lastrowid
            rows, vocabulary = [], {}
            breaks = [m.start() for m in _PARAGRAPH_BREAK.finditer(item.text)]
            for position, (start, end) in enumerate(spans):
                sentence = item.text[start:end]
                analysed = sentence_terms(sentence)
                for norm, raw in analysed.words.items():
                    entry = vocabulary.setdefault(norm, [raw, 0])
                    entry[1] += 1
                rows.append(
                    (
                        article_id,
                        position,
                        bisect.bisect(breaks, start),
                        start,
                        end,
                        sentence,
                        normalize_text(sentence),
                        analysed.terms,
                        analysed.parts,
                    )
                )
            self.db.conn.executemany(
                "INSERT INTO facts"
                ' (article_id, position, paragraph, start, "end", text, norm, terms, parts)'
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self.db.conn.executemany(
                "INSERT INTO words (norm, raw, df) VALUES (?, ?, ?)"
                " ON CONFLICT(norm) DO UPDATE SET df = df + excluded.df",
                [(norm, raw, df) for norm, (raw, df) in vocabulary.items()],
            )
        return IngestResult(self.article(article_id), added=True)

    def add_many(self, items: Iterable[ArticleInput]) -> Iterator[IngestResult]:
        """Store articles one transaction each, yielding as they land."""
        for item in items:
            yield self.add(item)

    def remove(self, article_id: int) -> Article:
        """Delete an article with its facts and their words."""
        article = self.article(article_id)
        with self.db.atomic():
            counts: dict[str, int] = {}
            for (text,) in self.db.execute(
                "SELECT text FROM facts WHERE article_id = ?", [article_id]
            ):
                for norm in sentence_terms(text).words:
                    counts[norm] = counts.get(norm, 0) + 1
            self.db.execute("DELETE FROM facts WHERE article_id = ?", [article_id])
            self.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
            self.db.conn.executemany(
                "UPDATE words SET df = df - ? WHERE norm = ?",
                [(df, norm) for norm, df in counts.items()],
            )
            self.db.execute("DELETE FROM words WHERE df <= 0")
        return article

    # -- reading -------------------------------------------------------------

    def version(self) -> tuple[int, int]:
        """Changes whenever this or another connection commits a change."""
        other = self.db.execute("PRAGMA data_version").fetchone()[0]
        return other, self.db.conn.total_changes

    def article(self, article_id: int) -> Article:
        row = self.db.execute(
            "SELECT a.id, a.title, a.date, a.url,"
            " (SELECT count(*) FROM facts f WHERE f.article_id = a.id)"
            " FROM articles a WHERE a.id = ?",
            [article_id],
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no article with id {article_id}")
        return Article(*row)

    def articles(self) -> list[Article]:
        rows = self.db.execute(
            "SELECT a.id, a.title, a.date, a.url, count(f.id) FROM articles a"
            " LEFT JOIN facts f ON f.article_id = a.id GROUP BY a.id ORDER BY a.id"
        ).fetchall()
        return [Article(*row) for row in rows]

    def article_text(self, article_id: int) -> str:
        row = self.db.execute("SELECT text FROM articles WHERE id = ?", [article_id]).fetchone()
        if row is None:
            raise NotFoundError(f"no article with id {article_id}")
        return row[0]

    def facts(self, ids: Iterable[int]) -> dict[int, Fact]:
        """Facts by id, with their articles."""
        ids = list(ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT f.id, f.position, f.text, a.id, a.title, a.date, a.url FROM facts f"
            f" JOIN articles a ON a.id = f.article_id WHERE f.id IN ({marks})",
            ids,
        ).fetchall()
        return {
            fid: Fact(fid, Article(aid, title, date, url), position, text)
            for fid, position, text, aid, title, date, url in rows
        }

    def counts(self) -> dict[str, int]:
        one = self.db.execute
        return {
            "articles": one("SELECT count(*) FROM articles").fetchone()[0],
            "facts": one("SELECT count(*) FROM facts").fetchone()[0],
            "words": one("SELECT count(*) FROM words").fetchone()[0],
        }


def _statements(script: str) -> list[str]:
    """Split the schema script into statements (triggers contain inner semicolons)."""
    out, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        joined = "\n".join(current).strip()
        if joined.endswith(";") and (
            not joined.upper().startswith("CREATE TRIGGER") or joined.upper().endswith("END;")
        ):
            out.append(joined)
            current = []
    return out


def seed_text() -> str:
    """The bundled article every new database starts with."""
    return (DATA / "seed_article.txt").read_text(encoding="utf-8")
