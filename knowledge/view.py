"""Read-side statistics of the store: key frequencies, sizes, the word list for typos.

Cached per store version, so a question costs a few dictionary look-ups and
another process's ingest is seen at the next question.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from .store import Store


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """How much one question may read, and how much a view keeps between questions."""

    # Postings of the keys that may bring candidates in: at least `match_budget`, and a
    # fixed share of the archive, so that a larger archive can still bring in a sentence
    # by its moderately rare words. Each posting costs well under a microsecond
    # (`postings`), so a key held by a tenth of a million sentences would cost every
    # question about a hundred milliseconds. Stores of a few thousand facts stay far under
    # the floor (SQuAD-da: at most 2,300), so there every key brings candidates in.
    match_budget: int = 3_000
    match_share: float = 0.02
    leading_articles: int = 3  # of the best candidates, searched again for keys left out
    parsed_cache: int = 20_000  # parsed fact rows kept between questions
    postings_cache: int = 400_000  # fact ids of looked-up keys kept (8 bytes each)


DEFAULT_LIMITS = Limits()
EVICT_SHARE = 1 / 8  # share of a full cache dropped at a time, oldest first
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


def _evict_oldest(cache: dict[K, V]) -> list[V]:
    """Drop the oldest EVICT_SHARE of a cache (at least one entry) and return what went.

    Freeing a whole cache of parsed rows at once is a pause inside one question;
    an eighth at a time keeps it small.
    """
    old = list(islice(cache, max(1, int(len(cache) * EVICT_SHARE))))
    return [cache.pop(k) for k in old]


def typo_budget(length: int) -> int:
    """Edits allowed for a word of this length: none under 5 letters, 1 from 5, 2 from 9."""
    if length < 5:
        return 0
    return 1 if length < 9 else 2


class IndexView:
    """Frequencies and vocabulary of one version of a store."""

    def __init__(self, store: Store, *, limits: Limits = DEFAULT_LIMITS) -> None:
        self.store = store
        self.limits = limits
        self.version = store.version()
        self.n_facts, total = store.fact_stats()
        self.avg_len = total / self.n_facts if self.n_facts else 1.0
        self._df: dict[str, int] = {}
        self._words_by_len: dict[int, list[str]] | None = None
        self._word_df: dict[str, tuple[str, int]] = {}
        self._title_keys: dict[int, tuple[str, ...]] = {}
        self._spans: dict[int, tuple[int, int]] = {}
        self._parsed: dict[int, tuple] = {}
        self._postings: dict[tuple[str, str], np.ndarray] = {}
        self._postings_held = 0

    def df(self, key: str) -> int:
        """How many facts hold this key, in their words or their compound parts."""
        cached = self._df.get(key)
        if cached is None:
            row = self.store.db.execute(
                "SELECT doc FROM facts_vocab WHERE term = ?", [key]
            ).fetchone()
            cached = self._df[key] = row[0] if row else 0
        return cached

    def match_keys(
        self, keys: Iterable[str], budget: int | None = None, *, then: Iterable[str] = ()
    ) -> list[str]:
        """The keys that may bring candidates in: the rarest, while their postings fit `budget`.

        `keys` are taken rarest first, then `then` (stand-ins: synonyms, compound parts)
        with what budget is left, so that a question's own words are not crowded out by
        their synonyms. The rarest key is always kept. A frequent key left out still
        ranks the candidates (see `match.candidates`) and still counts in the scorer; it
        only no longer brings in sentences that lack every rarer key. Keys no fact holds
        are left out.
        """
        if budget is None:
            budget = max(self.limits.match_budget, int(self.limits.match_share * self.n_facts))
        chosen: list[str] = []
        total = 0
        first = set(keys)
        for tier in (first, set(then) - first):
            for df, key in sorted((self.df(k), k) for k in tier):
                if df == 0:
                    continue
                if chosen and total + df > budget:
                    break
                chosen.append(key)
                total += df
        return chosen

    def postings(self, key: str, column: str = "terms") -> np.ndarray:
        """Ids of the facts holding a key in a column ("terms" or "parts"), ascending.

        Reading a key's list from FTS5 without ranking costs well under a microsecond a
        fact, several times less than scoring it with bm25; frequent keys repeat across
        questions, so their lists are kept.
        """
        found = self._postings.get((key, column))
        if found is None:
            # One joined string builds no row tuples: faster than fetching rows.
            joined = self.store.db.execute(
                "SELECT group_concat(rowid) FROM facts_fts WHERE facts_fts MATCH ?",
                [f'{column} : "{key}"'],
            ).fetchone()[0]
            # FTS5 returns a full-text query's rows in ascending rowid order.
            found = np.array(joined.split(",") if joined else [], dtype=np.int64)
            found.setflags(write=False)  # shared by every question that reads the key
            while self._postings and self._postings_held + len(found) > self.limits.postings_cache:
                for dropped in _evict_oldest(self._postings):
                    self._postings_held -= len(dropped)
            self._postings[(key, column)] = found
            self._postings_held += len(found)
        return found

    def idf(self, key: str) -> float:
        """BM25's idf, floored so that a word in every sentence still counts a little."""
        n, df = self.n_facts, self.df(key)
        return max(math.log(1 + (n - df + 0.5) / (df + 0.5)), 0.05)

    def unseen_idf(self) -> float:
        return math.log(1 + (self.n_facts + 0.5) / 0.5)

    def parsed(self, fact_id: int, row: tuple, parse: Callable[[tuple], T]) -> T:
        """A fact row parsed once per store version; questions keep meeting the same facts."""
        found = self._parsed.get(fact_id)
        if found is None:
            found = parse(row)
            if len(self._parsed) >= self.limits.parsed_cache:
                _evict_oldest(self._parsed)
            if self.limits.parsed_cache:
                self._parsed[fact_id] = found
        return found

    def cached(self, fact_id: int) -> tuple | None:
        """The parsed row of a fact if it is kept, else None."""
        return self._parsed.get(fact_id)

    def title_keys(self, article_ids: set[int]) -> dict[int, tuple[str, ...]]:
        """Search keys of the titles of these articles (a title names the topic)."""
        self._read_articles(article_ids)
        return {a: self._title_keys.get(a, ()) for a in article_ids}

    def _read_articles(self, article_ids: Iterable[int]) -> None:
        """Title keys of the articles not read yet."""
        missing = [a for a in set(article_ids) if a not in self._title_keys]
        if missing:
            marks = ",".join("?" * len(missing))
            for aid, keys in self.store.db.execute(
                f"SELECT id, title_keys FROM articles WHERE id IN ({marks})", missing
            ):
                self._title_keys[aid] = tuple(keys.split())  # a tuple: see `match.Parsed`

    def fact_span(self, article_id: int) -> tuple[int, int]:
        """The first and last fact id of an article (its facts are inserted together)."""
        span = self._spans.get(article_id)
        if span is None:
            span = self._spans[article_id] = self.store.db.execute(
                "SELECT min(id), max(id) FROM facts WHERE article_id = ?", [article_id]
            ).fetchone()
        return span

    def _load_words(self) -> dict[int, list[str]]:
        if self._words_by_len is None:
            by_len: dict[int, list[str]] = {}
            for norm, raw, df in self.store.db.execute("SELECT norm, raw, df FROM words"):
                by_len.setdefault(len(norm), []).append(norm)
                self._word_df[norm] = (raw, df)
            self._words_by_len = by_len
        return self._words_by_len

    def correct(self, word: str) -> tuple[str, int] | None:
        """The indexed word closest to a misspelt one (raw form, edits), or None.

        Optimal string alignment counts a swap ("talsmnad") as one edit. Among
        equally close words the most frequent wins.
        """
        budget = typo_budget(len(word))
        if budget == 0 or not word.isalpha():
            return None
        by_len = self._load_words()
        best: tuple[int, int, str] | None = None
        for length in range(len(word) - budget, len(word) + budget + 1):
            choices = by_len.get(length)
            if not choices:
                continue
            for norm, dist, _ in process.extract(
                word, choices, scorer=OSA.distance, score_cutoff=budget, limit=5
            ):
                if norm == word:
                    continue
                raw, df = self._word_df[norm]
                rank = (dist, -df, raw)
                if best is None or rank < best:
                    best = rank
        if best is None:
            return None
        return best[2], best[0]
