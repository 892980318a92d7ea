"""How articles enter and leave the store: whole, one transaction at a time.

Every write keeps the derived tables right in the same transaction: the full-text index,
the typo list's document frequencies (`words`) and the fact totals BM25 reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, groupby, islice
from operator import itemgetter

from .analysis import (
    ArticleWords,
    Prepared,
    analyse_article,
    analyse_spans,
    analysis_fingerprint,
    content_hash,
    sentence_terms,
    title_keys,
    word_count,
)
from .bulk import Batching, can_fork, prepare_in_worker
from .database import writing
from .model import Article, ArticleInput
from .reads import Reader

DEFAULT_BATCHING = Batching()
REANALYSE_ARTICLES = 1000  # articles re-analysed and written back at a time
_FACT_COLUMNS = 'article_id, position, paragraph, start, "end", text, norm, terms, parts'
_INSERT_FACTS = f"INSERT INTO facts ({_FACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class IngestResult:
    article: Article
    added: bool  # False when the same text was already stored
    replaced: int | None = None  # the id of the older version at the same address


def derive_title(text: str, *, words: int = 8) -> str:
    """An article without a title is named by its first words."""
    first = text.split()[:words]
    title = " ".join(first)
    return title + (" …" if len(text.split()) > words else "")


class Writer(Reader):
    """The writing half of `Store`."""

    def add(self, item: ArticleInput) -> IngestResult:
        """Store one article and its facts in one transaction; the same text twice is a no-op."""
        return self._write([self._prepare(item)])[0]

    def add_many(
        self, items: Iterable[ArticleInput], *, batching: Batching = DEFAULT_BATCHING
    ) -> Iterator[IngestResult]:
        """Store articles in transactions of about `batching.sentences` sentences, yielding
        as they land.

        A transaction holds whole articles, so a reader never sees half of one; few large
        transactions let SQLite and FTS5 write big index segments instead of many tiny ones.
        From `batching.bulk_articles` on, a worker process analyses them while this one writes.
        """
        items = iter(items)
        head = list(islice(items, batching.bulk_articles))
        if len(head) == batching.bulk_articles and can_fork():
            prepared_all = prepare_in_worker(chain(head, items), self._known, batching=batching)
        else:
            prepared_all = (self._prepare(item) for item in chain(head, items))
        batch: list[Prepared] = []
        size = 0
        prepared: Prepared | None
        try:
            for prepared in prepared_all:
                if prepared is None:  # the analysis is behind: write what is ready meanwhile
                    if size >= batching.early_sentences:
                        yield from self._write(batch)
                        batch, size = [], 0
                    continue
                batch.append(prepared)
                size += len(prepared.rows)
                if size >= batching.sentences:
                    yield from self._write(batch)
                    batch, size = [], 0
            if batch:
                yield from self._write(batch)
        finally:
            # At once, not when the generator is collected: a failed write or a caller that
            # stops reading must not leave the worker running (or the switch interval short).
            prepared_all.close()

    def optimize_index(self) -> int:
        """Merge the full-text index into one segment (FTS5 `optimize`); the segments before.

        A bulk ingest leaves several segments that every key's posting list is read from;
        merged, questions run faster. It rewrites the whole index, so it is a step of its
        own after a large import (`faktabot optimize`), not part of every ingest.
        """
        before = self.index_segments()
        with writing(self.db):
            self.db.execute("INSERT INTO facts_fts(facts_fts) VALUES ('optimize')")
        return before

    def _prepare(self, item: ArticleInput) -> Prepared:
        """Split and analyse an article (outside any transaction); skip a known text early."""
        digest = content_hash(item.text)
        if self._known(digest):
            return Prepared(item, digest, [])
        return Prepared(item, digest, *analyse_article(item.text))

    def _known(self, digest: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM articles WHERE hash = ?", [digest]).fetchone())

    def _write(self, batch: list[Prepared]) -> list[IngestResult]:
        """Insert prepared articles in one transaction; texts already stored are no-ops.

        The new facts enter the full-text index in one INSERT ... SELECT: FTS5 then flushes
        its pending terms once, where a row-by-row insert flushes at every row.
        """
        added: list[tuple[Article | int, bool, int | None]] = []
        conn = self.db.conn
        with writing(self.db):
            stats = self.stored_stats()
            staged: list[tuple] = []
            words: list[ArticleWords] = []
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
                change[1] += sum(word_count(r[7]) for r in staged)
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
            stats = self.stored_stats()
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
            words += word_count(terms)
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

    def reanalyse(self, *, block: int = REANALYSE_ARTICLES) -> None:
        """Recompute every fact's search terms, the word list and the full-text index.

        Stored terms are derived from the text by the analysis of the faktabot that wrote
        them; after an upgrade that changes it (new stop words, lemmas, tokenising), the
        old terms would no longer meet the new questions. Paragraph numbers are worked out
        again from the article text too. Runs once, in one transaction, `block` articles
        at a time, so that memory does not grow with the archive.
        """
        with writing(self.db):
            words: Counter[str] = Counter()
            raws: dict[str, str] = {}
            self.db.conn.executemany(
                "UPDATE articles SET title_keys = ? WHERE id = ?",
                [(title_keys(t), a) for a, t in self.db.execute("SELECT id, title FROM articles")],
            )
            ids = [row[0] for row in self.db.execute("SELECT id FROM articles ORDER BY id")]
            for at in range(0, len(ids), block):  # no read is open on facts while it changes
                low, high = ids[at], ids[min(at + block, len(ids)) - 1]
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
                    analysed, seen = analyse_spans(texts[article_id], spans)
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

    def _save_stats(self, before: tuple[int, int] | None, facts: int, words: int) -> None:
        """Within a write: the totals after adding `facts` and `words` (negative: removed)."""
        stats = (before[0] + facts, before[1] + words) if before else self.count_stats()
        (version,) = self.db.execute(
            "SELECT value FROM meta WHERE key = 'content_version'"
        ).fetchone()
        self.db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('fact_stats', ?)",
            [f"{version} {stats[0]} {stats[1]}"],
        )
