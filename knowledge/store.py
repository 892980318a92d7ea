"""The SQLite store: articles, their sentence-level facts and a full-text index.

One `Store` wraps one `sqlite_utils.Database` (a file or memory). Every write is
one transaction, so a reader in another process never sees half an article.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import logging
import multiprocessing
import os
import sqlite3
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, groupby, islice
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import platformdirs
import sqlite_utils

from .analysis import analysis_fingerprint, sentence_terms, title_keys
from .errors import NotFoundError, SchemaError, StorageError
from .lexicon import DATA
from .model import Article, ArticleInput, Fact
from .parse import parse_text
from .segment import paragraph_breaks, split_sentences

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 9
HEALTH_CHECK_BYTES = 256 * 2**20  # ingest quick-checks a database file up to this size
BUSY_MS = 5000  # how long a writer waits for another process's transaction to end
BATCH_SENTENCES = 10000  # sentences per transaction when ingesting many articles
# When the input is used up and the worker still analyses, the writer writes what it holds
# (else the last full batch waits for every chunk while the worker is busy, and then the
# worker waits for it: about 3 % of a 100,000-sentence ingest), if that is at least this
# much, so the tail is not cut into a transaction a chunk.
EARLY_WRITE_SENTENCES = 2_000
BULK_ARTICLES = 50  # from this many articles on, a forked worker process analyses them
CHUNK_ARTICLES = 64  # articles per piece of work sent to the worker
AHEAD_CHUNKS = 10  # pieces of work in flight while the main process writes
PARENT_CHECK_SECONDS = 1.0  # how often the ingest worker looks whether its ingest lives
REANALYSE_ARTICLES = 1000  # articles re-analysed and written back at a time
MMAP_BYTES = 256 * 2**20
# Pages of a new database file (SQLite's default is 4,096). A 100,000-sentence ingest
# writes a quarter as many pages, and its system time fell by a third (0.55 -> 0.35 s);
# questions were no slower. Set before the first write: an existing file keeps its size.
PAGE_BYTES = 16_384
# While a worker analyses, this process's own analysis holds the GIL, and the pool's thread
# that reads each chunk's rows from the pipe (about 1 MB, in pieces) waits up to Python's
# 5 ms switch interval for every piece: the worker sat idle 10-30 ms between chunks. With
# 0.5 ms it waits less; a 100,000-sentence ingest runs about 3 % faster.
INGEST_SWITCH_SECONDS = 0.0005
_FACT_COLUMNS = 'article_id, position, paragraph, start, "end", text, norm, terms, parts'
_INSERT_FACTS = f"INSERT INTO facts ({_FACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"

# `articles.story` and `facts.cohesion` held word-salad guards the matcher no longer reads
# (an article's repeat ratio, each sentence's share of shared words). Nothing writes them
# now: new rows keep the column default. The columns stay so that every database of this
# schema version has the same tables, whichever faktabot wrote it.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    title_keys TEXT NOT NULL DEFAULT '',
    date TEXT,
    url TEXT,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    added TEXT NOT NULL DEFAULT (datetime('now')),
    story REAL
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
    cohesion REAL NOT NULL DEFAULT 0.5,
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
    # 6: new facts are indexed by `Store._write` in one statement per transaction, not by a
    # trigger row by row (the trigger made FTS5 flush its pending terms once per row).
    6: """
DROP TRIGGER IF EXISTS facts_ai;
""",
    # 7: sentence vectors for semantic matching (`knowledge.vectors`), made by the model
    # that meta's 'vector_model' names; a fact's vector goes with it.
    7: """
CREATE TABLE IF NOT EXISTS vectors (
    fact_id INTEGER PRIMARY KEY REFERENCES facts(id) ON DELETE CASCADE,
    vector BLOB NOT NULL
);
""",
    # 8: articles are known by their address (a new version of the same page replaces the
    # old one), and the feeds an operator follows (`knowledge.feeds`): each feed's last
    # fetch and its validators for a conditional GET, and each item seen in it.
    8: """
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
    seen TEXT,
    fetched TEXT,
    PRIMARY KEY (feed, link)
) WITHOUT ROWID;
""",
    # 9: when each feed item was first seen and its page last fetched (`seen`, `fetched`):
    # a recent story's page is fetched again now and then, for corrections its feed does
    # not announce. Schema 8 is created with them; `_add_feed_columns` adds them to a
    # database that schema 8 made before.
    9: "",
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


class _Words(NamedTuple):
    """An article's contribution to the typo list (`words`), compact: it crosses a pipe."""

    seen: list[str]  # each sentence's distinct folded words, in one list: counted, the df
    first: dict[str, str]  # folded word -> the form it was first written in


_NO_WORDS = _Words([], {})


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An article split and analysed, ready to insert (no rows: its text is already stored)."""

    item: ArticleInput
    digest: str
    rows: list[tuple]  # the facts columns after article_id, except the sentence (`_analyse`)
    words: _Words = _NO_WORDS


@dataclass(frozen=True, slots=True)
class IngestResult:
    article: Article
    added: bool  # False when the same text was already stored
    replaced: int | None = None  # the id of the older version at the same address


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


class Store:
    """Articles and facts in one SQLite database."""

    def __init__(
        self, db: sqlite_utils.Database, *, seed: bool = True, read_only: bool = False
    ) -> None:
        self.db = db
        self.read_only = read_only
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
        if read_only:
            self._check_readable()
            return
        # The schema and the seed article in one transaction: a first run stopped halfway
        # leaves no database without its seed, and a process opening a database another
        # is creating waits, then finds both.
        with writing(self.db):
            if self._migrate() and seed:
                self.add(parse_text(seed_text(), source="seed_article.txt"))
        if self._meta("analysis") != analysis_fingerprint():
            with writing(self.db):
                if self._meta("analysis") != analysis_fingerprint():  # not done meanwhile
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
                read_only = path.exists() and not _writable(path)
            if read_only:
                return cls(_read_only(path), seed=False, read_only=True)
            return cls(_writable_database(path), seed=seed)
        except sqlite3.DatabaseError as exc:
            raise storage_error(path, exc) from exc

    def _check_readable(self) -> None:
        """A read-only database is used as it is: it must not need an upgrade."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            raise StorageError(
                f"the database is read-only and has schema {version}, this faktabot "
                f"{SCHEMA_VERSION}: open it once where it can be written, to upgrade it"
            )
        if self._meta("analysis") != analysis_fingerprint():
            logger.warning(
                "The read-only database was analysed by another faktabot; answers may suffer"
            )

    def _migrate(self) -> bool:
        """Create or upgrade the schema; True when the database was new."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"database schema {version} is newer than this faktabot ({SCHEMA_VERSION});"
                " upgrade faktabot"
            )
        if version == SCHEMA_VERSION:
            return False
        with writing(self.db):
            self._add_missing_columns()
            for statement in _statements(_SCHEMA):
                self.db.execute(statement)
            for target, script in _MIGRATIONS.items():
                if version < target:
                    for statement in _statements(script):
                        self.db.execute(statement)
            self._add_feed_columns()
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return version == 0

    def _add_missing_columns(self) -> None:
        """Columns later schemas added to `facts` and `articles`.

        The first schema-1 databases had no paragraph numbers; schema 3 added `cohesion`,
        schema 4 the keys of article titles and schema 5 each article's repeat ratio
        (`story`). `reanalyse` fills the paragraphs and title keys; nothing reads or writes
        `cohesion` and `story` any more: they are added with their defaults so that the
        tables are those of `_SCHEMA`.
        """
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(facts)")}
        if not columns:
            return  # a new database: the schema creates the tables whole
        titles = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
        if "title_keys" not in titles:
            self.db.execute("ALTER TABLE articles ADD COLUMN title_keys TEXT NOT NULL DEFAULT ''")
        if "story" not in titles:
            self.db.execute("ALTER TABLE articles ADD COLUMN story REAL")
        if "paragraph" not in columns:
            self.db.execute("ALTER TABLE facts ADD COLUMN paragraph INTEGER NOT NULL DEFAULT 0")
        if "cohesion" not in columns:
            self.db.execute("ALTER TABLE facts ADD COLUMN cohesion REAL NOT NULL DEFAULT 0.5")

    def _add_feed_columns(self) -> None:
        """Schema 9's columns of `feed_items`, on a database that schema 8 created."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(feed_items)")}
        for name in ("seen", "fetched"):
            if name not in columns:
                self.db.execute(f"ALTER TABLE feed_items ADD COLUMN {name} TEXT")

    # -- writing -------------------------------------------------------------

    def add(self, item: ArticleInput) -> IngestResult:
        """Store one article and its facts in one transaction; the same text twice is a no-op."""
        return self._write([self._prepare(item)])[0]

    def add_many(self, items: Iterable[ArticleInput]) -> Iterator[IngestResult]:
        """Store articles in transactions of about BATCH_SENTENCES sentences, yielding as they land.

        A transaction holds whole articles, so a reader never sees half of one; few large
        transactions let SQLite and FTS5 write big index segments instead of many tiny ones.
        From BULK_ARTICLES articles on, a worker process analyses them while this one writes.
        """
        items = iter(items)
        head = list(islice(items, BULK_ARTICLES))
        if len(head) == BULK_ARTICLES and _can_fork():
            prepared_all = self._prepare_in_worker(chain(head, items))
        else:
            prepared_all = (self._prepare(item) for item in chain(head, items))
        batch: list[_Prepared] = []
        size = 0
        prepared: _Prepared | None
        try:
            for prepared in prepared_all:
                if prepared is None:  # the analysis is behind: write what is ready meanwhile
                    if size >= EARLY_WRITE_SENTENCES:
                        yield from self._write(batch)
                        batch, size = [], 0
                    continue
                batch.append(prepared)
                size += len(prepared.rows)
                if size >= BATCH_SENTENCES:
                    yield from self._write(batch)
                    batch, size = [], 0
            if batch:
                yield from self._write(batch)
        finally:
            # At once, not when the generator is collected: a failed write or a caller that
            # stops reading must not leave the worker running (or the switch interval short).
            prepared_all.close()

    def check_health(self, *, max_bytes: int = HEALTH_CHECK_BYTES) -> None:
        """Refuse to write into a damaged database: a StorageError naming the repair.

        An ingest into a file with corrupted pages would report its articles added while
        questions on the same file fail. SQLite's quick_check reads every page, about a
        second at 250 MB, so a larger file (an archive of several hundred thousand
        sentences) is only checked for a readable schema.
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

    def optimize_index(self) -> int:
        """Merge the full-text index into one segment (FTS5 `optimize`); the segments before.

        A bulk ingest leaves 7-8 segments that every key's posting list is read from; merged,
        questions at a million facts ran 5-10 % faster. It rewrites the whole index (2.3 s
        at a million, 3-7 % of ingesting it), so it is a step of its own after a large
        import (`faktabot optimize`), not part of every ingest.
        """
        before = self.index_segments()
        with writing(self.db):
            self.db.execute("INSERT INTO facts_fts(facts_fts) VALUES ('optimize')")
        return before

    def index_segments(self) -> int:
        """How many segments the full-text index is stored in."""
        return self.db.execute("SELECT count(DISTINCT segid) FROM facts_fts_idx").fetchone()[0]

    def _prepare(self, item: ArticleInput) -> _Prepared:
        """Split and analyse an article (outside any transaction); skip a known text early."""
        digest = content_hash(item.text)
        if self._known(digest):
            return _Prepared(item, digest, [])
        return _Prepared(item, digest, *_analyse(item.text))

    def _known(self, digest: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM articles WHERE hash = ?", [digest]).fetchone())

    def _prepare_in_worker(self, items: Iterator[ArticleInput]) -> Iterator[_Prepared | None]:
        """`_prepare` of many articles, analysed in a worker process while this one writes.

        On a large ingest Python's analysis and SQLite's writing cost about the same, so
        overlapping them nearly halves the time. Only this process touches the database; the
        worker gets texts and returns rows. When the worker lags, this process analyses the
        next chunk itself. Chunks are yielded in input order, so the ids are the same as those
        of an in-process ingest. None means "nothing more for a while": the caller may write
        what it holds.
        """
        sentence_terms("Varm op.")  # load the lexicon before forking: the worker inherits it
        context = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=context,
            initializer=_end_with_parent,
            initargs=(os.getpid(),),
        )
        switch = sys.getswitchinterval()
        pending: deque[tuple[list[tuple[ArticleInput, str, bool]], Future | list]] = deque()

        def take() -> tuple[list[tuple[ArticleInput, str, bool]], list[str]] | None:
            chunk = list(islice(items, CHUNK_ARTICLES))
            if not chunk:
                return None
            keyed = [(item, content_hash(item.text)) for item in chunk]
            marked = [(item, digest, self._known(digest)) for item, digest in keyed]
            return marked, [item.text for item, _, known in marked if not known]

        try:
            sys.setswitchinterval(INGEST_SWITCH_SECONDS)
            while True:
                while sum(isinstance(w, Future) for _, w in pending) < AHEAD_CHUNKS:
                    if (taken := take()) is None:
                        break
                    pending.append((taken[0], pool.submit(_analyse_many, taken[1])))
                if not pending:
                    return
                head = pending[0][1]
                if isinstance(head, Future) and not head.done():
                    if taken := take():
                        pending.append((taken[0], _analyse_many(taken[1])))
                        continue
                    # The input is used up and the worker still busy: a time to write (the
                    # batch would otherwise wait for every chunk), then wait below.
                    yield None
                keyed, work = pending.popleft()
                analysed = iter(work.result() if isinstance(work, Future) else work)
                for item, digest, known in keyed:
                    if known:  # stored before (`_write` also skips repeats within the ingest)
                        yield _Prepared(item, digest, [])
                    else:
                        yield _Prepared(item, digest, *next(analysed))
        finally:
            sys.setswitchinterval(switch)
            pool.shutdown(cancel_futures=True)

    def _write(self, batch: list[_Prepared]) -> list[IngestResult]:
        """Insert prepared articles in one transaction; texts already stored are no-ops.

        The new facts enter the full-text index in one INSERT ... SELECT: FTS5 then flushes
        its pending terms once, where a row-by-row insert flushes at every row.
        """
        added: list[tuple[Article | int, bool, int | None]] = []
        conn = self.db.conn
        with writing(self.db):
            stats = self._stored_stats()
            staged: list[tuple] = []
            words: list[_Words] = []
            change = [0, 0]  # facts and content words added, less those replaced
            kept: dict[int, dict[str, int]] = {}  # new article -> its old version's sentences

            def flush() -> None:
                """Insert the staged facts and index them in one statement."""
                last = conn.execute("SELECT max(id) FROM facts").fetchone()[0] or 0
                conn.executemany(_INSERT_FACTS, staged)
                conn.execute(
                    "INSERT INTO facts_fts(rowid, terms, parts)"
                    " SELECT id, terms, parts FROM facts WHERE id > ?",
                    [last],
                )
                change[0] += len(staged)
                change[1] += sum(_word_count(r[7]) for r in staged)
                staged.clear()
                df: Counter[str] = Counter()
                first: dict[str, str] = {}
                for article_words in words:
                    df.update(article_words.seen)
                for article_words in reversed(words):  # the first surface form seen wins
                    first.update(article_words.first)
                conn.executemany(
                    "INSERT INTO words (norm, raw, df) VALUES (?, ?, ?)"
                    " ON CONFLICT(norm) DO UPDATE SET df = df + excluded.df",
                    [(norm, first[norm], df[norm]) for norm in sorted(df)],
                )
                words.clear()

            for p in batch:
                row = conn.execute("SELECT id FROM articles WHERE hash = ?", [p.digest]).fetchone()
                if row:  # stored before, or earlier in this batch
                    added.append((row[0], False, None))
                    continue
                item = p.item
                older = (
                    item.url
                    and conn.execute(
                        "SELECT id FROM articles WHERE url = ? ORDER BY id DESC LIMIT 1", [item.url]
                    ).fetchone()
                )
                old_facts: dict[str, int] = {}
                if older:  # a new version of the page: it takes the old one's place
                    flush()  # the older version may be in this batch, its facts still staged
                    old_facts = dict(
                        conn.execute(
                            "SELECT text, id FROM facts WHERE article_id = ?", [older[0]]
                        ).fetchall()
                    )
                    removed = self._delete(older[0])
                    change[0] -= removed[0]
                    change[1] -= removed[1]
                title = item.title or derive_title(item.text)
                article_id = conn.execute(
                    "INSERT INTO articles (title, title_keys, date, url, hash, text)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [title, title_keys(title), item.date, item.url, p.digest, item.text],
                ).lastrowid
                text = item.text
                staged.extend(
                    (article_id, position, paragraph, start, end, text[start:end], *analysed)
                    for position, paragraph, start, end, *analysed in p.rows
                )
                words.append(p.words)
                if older:
                    kept[article_id] = old_facts
                article = Article(article_id, title, item.date, item.url, len(p.rows))
                added.append((article, True, older[0] if older else None))
            if staged or words:
                flush()
            if any(new for _, new, _ in added):
                self._save_stats(stats, *change)
            for article_id, old_facts in kept.items():
                self._carry_log(article_id, old_facts)
        return [
            IngestResult(
                a if isinstance(a, Article) else self.article(a), added=new, replaced=replaced
            )
            for a, new, replaced in added
        ]

    def remove(self, article_id: int) -> Article:
        """Delete an article with its facts and their words."""
        article = self.article(article_id)
        with writing(self.db):
            stats = self._stored_stats()
            facts, words = self._delete(article_id)
            self._save_stats(stats, -facts, -words)
        return article

    def expire(self, before: str) -> list[Article]:
        """Remove the articles dated before `before` (YYYY-MM-DD; undated: by when added).

        A month or a year counts from its last day: "2024-03" is older than 2024-04-01.
        """
        rows = self.db.execute(
            "SELECT id FROM articles WHERE CASE length(date) WHEN 4 THEN date || '-12-31'"
            " WHEN 7 THEN date || '-31' ELSE substr(coalesce(date, added), 1, 10) END < ?",
            [before],
        ).fetchall()
        return [self.remove(article_id) for (article_id,) in rows]

    def _delete(self, article_id: int) -> tuple[int, int]:
        """Within a write: delete an article, its facts and their words; (facts, words) gone."""
        counts: dict[str, int] = {}
        facts = words = 0
        for text, terms in self.db.execute(
            "SELECT text, terms FROM facts WHERE article_id = ?", [article_id]
        ):
            facts += 1
            words += _word_count(terms)
            for norm in sentence_terms(text).words:
                counts[norm] = counts.get(norm, 0) + 1
        self.db.execute("DELETE FROM facts WHERE article_id = ?", [article_id])
        self.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
        self.db.conn.executemany(
            "UPDATE words SET df = df - ? WHERE norm = ?",
            [(df, norm) for norm, df in counts.items()],
        )
        self.db.execute("DELETE FROM words WHERE df <= 0")
        return facts, words

    def _carry_log(self, article_id: int, old_facts: dict[str, int]) -> None:
        """Within a write: point the question log at a new version's sentences where the
        old version's sentence stands unchanged in it, so its votes still count; answers
        whose sentence was corrected keep an id that no longer resolves (the report shows
        them without their text)."""
        moves = [
            (new_id, old_facts[text])
            for text, new_id in self.db.execute(
                "SELECT text, id FROM facts WHERE article_id = ?", [article_id]
            )
            if text in old_facts
        ]
        self.db.conn.executemany("UPDATE asked SET fact_id = ? WHERE fact_id = ?", moves)

    def reanalyse(self) -> None:
        """Recompute every fact's search terms, the word list and the full-text index.

        Stored terms are derived from the text by the analysis of the faktabot that wrote
        them; after an upgrade that changes it (new stop words, lemmas, tokenising), the
        old terms would no longer meet the new questions. Paragraph numbers are worked out
        again from the article text too. Runs once, in one transaction.
        """
        with writing(self.db):
            words: Counter[str] = Counter()
            raws: dict[str, str] = {}
            self.db.conn.executemany(
                "UPDATE articles SET title_keys = ? WHERE id = ?",
                [(title_keys(t), a) for a, t in self.db.execute("SELECT id, title FROM articles")],
            )
            ids = [row[0] for row in self.db.execute("SELECT id FROM articles ORDER BY id")]
            # A block of articles at a time: the rows of a million facts held at once took
            # over 1 GB; no read is open on `facts` while its rows are updated.
            for at in range(0, len(ids), REANALYSE_ARTICLES):
                low, high = ids[at], ids[min(at + REANALYSE_ARTICLES, len(ids)) - 1]
                texts = dict(
                    self.db.execute(
                        "SELECT id, text FROM articles WHERE id BETWEEN ? AND ?", [low, high]
                    ).fetchall()
                )
                rows = self.db.execute(
                    'SELECT id, article_id, start, "end" FROM facts'
                    " WHERE article_id BETWEEN ? AND ? ORDER BY article_id, position",
                    [low, high],
                ).fetchall()
                updates = []
                for article_id, group in groupby(rows, key=itemgetter(1)):
                    facts = list(group)
                    # The stored sentences, analysed as an ingest analyses them.
                    spans = [(start, end) for _, _, start, end in facts]
                    analysed, seen = _analyse_spans(texts[article_id], spans)
                    for (fact_id, *_), (_, paragraph, _, _, norm, terms, parts) in zip(
                        facts, analysed, strict=True
                    ):
                        updates.append((terms, parts, norm, paragraph, fact_id))
                    words.update(seen.seen)
                    for norm, raw in seen.first.items():
                        raws.setdefault(norm, raw)
                self.db.conn.executemany(
                    "UPDATE facts SET terms = ?, parts = ?, norm = ?, paragraph = ? WHERE id = ?",
                    updates,
                )
            self.db.execute("INSERT INTO facts_fts(facts_fts) VALUES ('rebuild')")
            self.db.execute("DELETE FROM words")
            self.db.conn.executemany(
                "INSERT INTO words (norm, raw, df) VALUES (?, ?, ?)",
                [(norm, raws[norm], df) for norm, df in sorted(words.items())],
            )
            # Cached statistics belong to the old terms.
            self.db.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'content_version'"
            )
            self._save_stats(None, 0, 0)
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('analysis', ?)",
                [analysis_fingerprint()],
            )

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    # -- statistics ----------------------------------------------------------

    def fact_stats(self) -> tuple[int, int]:
        """How many facts there are, and how many content words they hold in all.

        BM25 wants the average sentence length, and counting it reads every fact (seconds
        at a million), so each write keeps the totals in `meta`, tagged with the content
        version they belong to. Missing or stale totals (a database written by an older
        faktabot) are counted afresh.
        """
        stats = self._stored_stats()
        return stats if stats is not None else self._count_stats()

    def _stored_stats(self) -> tuple[int, int] | None:
        version, stored = self.db.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'content_version'),"
            " (SELECT value FROM meta WHERE key = 'fact_stats')"
        ).fetchone()
        if stored is None:
            return None
        at, facts, words = stored.split()
        return (int(facts), int(words)) if at == str(version) else None

    def _count_stats(self) -> tuple[int, int]:
        facts, words = self.db.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN terms = '' THEN 0 ELSE"
            " length(terms) - length(replace(terms, ' ', '')) + 1 END), 0) FROM facts"
        ).fetchone()
        return facts, words

    def _save_stats(self, before: tuple[int, int] | None, facts: int, words: int) -> None:
        """Within a write: the totals after adding `facts` and `words` (negative: removed)."""
        stats = (before[0] + facts, before[1] + words) if before else self._count_stats()
        (version,) = self.db.execute(
            "SELECT value FROM meta WHERE key = 'content_version'"
        ).fetchone()
        self.db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('fact_stats', ?)",
            [f"{version} {stats[0]} {stats[1]}"],
        )

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

    def articles(self, *, latest: int | None = None) -> list[Article]:
        """Every article by id; with `latest`, that many, the newest first (by date, then
        by when it was added)."""
        order = "a.id"
        if latest is not None:
            order = f"coalesce(a.date, substr(a.added, 1, 10)) DESC, a.id DESC LIMIT {int(latest)}"
        rows = self.db.execute(
            "SELECT a.id, a.title, a.date, a.url, count(f.id) FROM articles a"
            f" LEFT JOIN facts f ON f.article_id = a.id GROUP BY a.id ORDER BY {order}"
        ).fetchall()
        return [Article(*row) for row in rows]

    def article_dates(self, ids: Iterable[int]) -> dict[int, str]:
        """Each article's date, or the day it was added when it has none."""
        ids = list(ids)
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"SELECT id, coalesce(date, substr(added, 1, 10)) FROM articles WHERE id IN ({marks})",
            ids,
        )
        return dict(rows.fetchall())

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

    def neighbours(self, fact_id: int) -> list[Fact]:
        """The sentences of a fact's paragraph in order, or, when it is the paragraph's only
        sentence, it with the sentences either side (empty when the fact is gone)."""
        row = self.db.execute(
            "SELECT article_id, position, paragraph FROM facts WHERE id = ?", [fact_id]
        ).fetchone()
        if row is None:
            return []
        article_id, position, paragraph = row
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM facts WHERE article_id = ? AND paragraph = ? ORDER BY position",
                [article_id, paragraph],
            )
        ]
        if len(ids) < 2:
            ids = [
                r[0]
                for r in self.db.execute(
                    "SELECT id FROM facts WHERE article_id = ? AND position BETWEEN ? AND ?"
                    " ORDER BY position",
                    [article_id, position - 1, position + 1],
                )
            ]
        found = self.facts(ids)
        return [found[i] for i in ids if i in found]

    def counts(self) -> dict[str, int]:
        one = self.db.execute
        return {
            "articles": one("SELECT count(*) FROM articles").fetchone()[0],
            "facts": one("SELECT count(*) FROM facts").fetchone()[0],
            "words": one("SELECT count(*) FROM words").fetchone()[0],
        }


def database_path(db: sqlite_utils.Database) -> Path | None:
    """The file of a database, or None when it lives in memory."""
    rows = db.execute("PRAGMA database_list").fetchall()
    name = next((row[2] for row in rows if row[1] == "main"), "")
    return Path(name) if name else None


def _writable(path: Path) -> bool:
    """Whether SQLite can write here: the file, and its folder (WAL mode adds files)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _writable_database(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")  # others may be creating it too
    db.execute(f"PRAGMA page_size = {PAGE_BYTES}")
    db.execute("PRAGMA synchronous = NORMAL")
    # Reading the index through a memory map skips a copy per page (questions run about
    # a tenth faster); bounded, so a large archive's resident memory stays low.
    db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    if db.journal_mode != "wal":
        db.enable_wal()
    return db


def _read_only(path: Path) -> sqlite_utils.Database:
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


def _can_fork() -> bool:
    """A forked worker starts at once with the lexicon loaded, but forking is only safe on
    Linux in a process with no other threads (the CLI, not the bot); else ingest stays here."""
    return sys.platform == "linux" and threading.active_count() == 1


def _analyse(text: str) -> tuple[list[tuple], _Words]:
    """An article's facts rows and its words for the typo list.

    A row is what `_write` stores but the article id and the sentence itself, which the
    writer slices from the text it holds: the rows cross from the ingest worker through a
    pipe, and the texts were a fifth of what crossed. The words cross as one list and one
    dict an article: a dict a sentence cost more to send than the rows.
    """
    return _analyse_spans(text, split_sentences(text))


def _analyse_spans(text: str, spans: list[tuple[int, int]]) -> tuple[list[tuple], _Words]:
    """`_analyse` of the sentences at `spans` (an ingest's own, or those stored before)."""
    rows = []
    seen: list[str] = []
    per_sentence: list[dict[str, str]] = []
    breaks = paragraph_breaks(text)
    for position, (start, end) in enumerate(spans):
        analysed = sentence_terms(text[start:end])
        seen += analysed.words
        per_sentence.append(analysed.words)
        paragraph = bisect.bisect(breaks, start)
        terms, parts = analysed.terms, analysed.parts
        rows.append((position, paragraph, start, end, analysed.norm, terms, parts))
    first: dict[str, str] = {}
    for words in reversed(per_sentence):  # the first surface form seen wins
        first.update(words)
    return rows, _Words(seen, first)


def _end_with_parent(parent: int) -> None:
    """In the ingest worker: end when the ingest that forked it is gone.

    A killed ingest never tells its worker, and the worker, waiting for work on a pipe
    it holds both ends of, would wait for ever (holding its memory and the database's
    deleted WAL files open). A thread looks at the parent once a second.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="faktabot-parent-watch", daemon=True).start()


def _analyse_many(texts: list[str]) -> list[tuple[list[tuple], _Words]]:
    """What the ingest worker process does with one chunk of articles."""
    return [_analyse(text) for text in texts]


def _word_count(terms: str) -> int:
    """Content words of a fact, from its stored terms (one space-separated group each)."""
    return terms.count(" ") + 1 if terms else 0


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
