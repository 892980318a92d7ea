"""What the store answers: articles, facts, their neighbours, and the index's totals."""

from __future__ import annotations

from collections.abc import Iterable

import sqlite_utils

from .errors import NotFoundError
from .model import Article, Fact


class Reader:
    """The reading half of `Store`: every method only reads `db`."""

    db: sqlite_utils.Database

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

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

    def index_segments(self) -> int:
        """How many segments the full-text index is stored in."""
        return self.db.execute("SELECT count(DISTINCT segid) FROM facts_fts_idx").fetchone()[0]

    def fact_stats(self) -> tuple[int, int]:
        """How many facts there are, and how many content words they hold in all.

        BM25 wants the average sentence length, and counting it reads every fact (seconds
        at a million), so each write keeps the totals in `meta`, tagged with the content
        version they belong to. Missing or stale totals (a database written by an older
        faktabot) are counted afresh.
        """
        stats = self.stored_stats()
        return stats if stats is not None else self.count_stats()

    def stored_stats(self) -> tuple[int, int] | None:
        version, stored = self.db.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'content_version'),"
            " (SELECT value FROM meta WHERE key = 'fact_stats')"
        ).fetchone()
        if stored is None:
            return None
        at, facts, words = stored.split()
        return (int(facts), int(words)) if at == str(version) else None

    def count_stats(self) -> tuple[int, int]:
        facts, words = self.db.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN terms = '' THEN 0 ELSE"
            " length(terms) - length(replace(terms, ' ', '')) + 1 END), 0) FROM facts"
        ).fetchone()
        return facts, words
