"""Match a question to the sentences that answer it.

Stages, each small: the question is analysed into weighted keys (`query`),
FTS5 proposes candidates, and the candidates are reranked here on features
that plain BM25 lacks: coverage of the question's words, fuzzy credit for
near-misses, words found in the neighbouring sentences, and whether the
sentence holds the kind of answer asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from .analyze import split_terms
from .index import IndexView
from .query import PART_WEIGHT, Query, QueryWord
from .spans import find_span
from .store import Store

K1 = 0.9
B = 0.4

# Weights of the rerank score; tuned on the SQuAD-da benchmark (bench/squad.py).
RANK_WEIGHTS = {
    "bm25": 0.10,
    "idf_cov": 1.0,
    "cov": 0.25,
    "soft": 0.3,
    "context": 0.35,
    "typed": 0.12,
    "fuzz": 0.2,
}


@dataclass
class Candidate:
    fact_id: int
    article_id: int
    position: int
    text: str
    norm: str
    words: list[tuple[str, ...]]
    parts: set[str]
    features: dict[str, float] = field(default_factory=dict)
    matched: dict[int, float] = field(default_factory=dict)  # query word index -> weight
    score: float = 0.0

    @property
    def keys(self) -> set[str]:
        return {k for w in self.words for k in w}


def fts_query(query: Query) -> str:
    """An FTS5 OR-query over every key the question can match."""
    return " OR ".join(f'"{key}"' for key in sorted(query.keys()))


def candidates(store: Store, query: Query, *, limit: int) -> list[Candidate]:
    """Facts that share at least one key with the question, best BM25 first."""
    if not query.keys():
        return []
    rows = store.db.execute(
        "SELECT f.id, f.article_id, f.position, f.text, f.norm, f.terms, f.parts"
        " FROM facts_fts JOIN facts f ON f.id = facts_fts.rowid"
        " WHERE facts_fts MATCH ? ORDER BY bm25(facts_fts, 1.0, 0.5) LIMIT ?",
        [fts_query(query), limit],
    ).fetchall()
    return [_candidate(row) for row in rows]


def neighbours(store: Store, found: list[Candidate]) -> dict[tuple[int, int], Candidate]:
    """The sentences just before and after each candidate, keyed by (article, position)."""
    wanted = {(c.article_id, c.position + d) for c in found for d in (-1, 1)}
    if not wanted:
        return {}
    values = ",".join("(?, ?)" for _ in wanted)
    params = [v for pair in wanted for v in pair]
    rows = store.db.execute(
        "SELECT id, article_id, position, text, norm, terms, parts FROM facts"
        f" WHERE (article_id, position) IN (VALUES {values})",
        params,
    ).fetchall()
    return {(row[1], row[2]): _candidate(row) for row in rows}


def _candidate(row: tuple) -> Candidate:
    fid, aid, position, text, norm, terms, parts = row
    return Candidate(fid, aid, position, text, norm, split_terms(terms), set(parts.split()))


def word_weight(word: QueryWord, keys: set[str], parts: set[str]) -> float:
    """How well one sentence holds one query word: 1 for the word itself, less for stand-ins."""
    best = 0.0
    for key, weight in word.alternatives.items():
        if key in keys:
            best = max(best, weight)
        elif key in parts:
            best = max(best, weight * PART_WEIGHT)
    return best


def word_idf(word: QueryWord, view: IndexView) -> float:
    """A word's rarity: that of its own keys where the index has them."""
    own = [view.idf(k) for k, w in word.alternatives.items() if w == 1.0 and view.df(k)]
    if own:
        return max(own)
    seen = [view.idf(k) for k in word.alternatives if view.df(k)]
    return max(seen) if seen else view.unseen_idf()


def soft_credit(word: QueryWord, norms: list[str]) -> float:
    """Partial credit when a sentence word is close to a query word (shared start, near spelling)."""
    if word.number or len(word.raw) < 4:
        return 0.0
    target = word.base or word.raw
    for norm in norms:
        if len(norm) >= 5 and len(target) >= 5 and norm[:5] == target[:5]:
            return 0.5
        if fuzz.ratio(target, norm, score_cutoff=80):
            return 0.5
    return 0.0


def score(
    query: Query, view: IndexView, found: list[Candidate], around: dict[tuple[int, int], Candidate]
) -> None:
    """Fill in each candidate's features and rerank score."""
    idfs = [word_idf(w, view) for w in query.words]
    total_idf = sum(idfs) or 1.0
    n_words = len(query.words) or 1
    named = {w.raw for w in query.words} | {w.base for w in query.words}
    question_norm = " ".join(w.base or w.raw for w in query.words)
    for cand in found:
        keys = cand.keys
        norms = cand.norm.split()
        length = len(cand.words) or 1
        norm_len = 1 - B + B * length / view.avg_len
        bm25 = idf_hit = hits = soft = 0.0
        for i, (word, idf) in enumerate(zip(query.words, idfs, strict=True)):
            weight = word_weight(word, keys, cand.parts)
            if weight:
                cand.matched[i] = weight
                bm25 += idf * weight * (K1 + 1) / (weight + K1 * norm_len)
                idf_hit += idf * weight
                hits += 1
            else:
                soft += idf * soft_credit(word, norms)
        context = 0.0
        for d in (-1, 1):
            other = around.get((cand.article_id, cand.position + d))
            if other is None:
                continue
            gain = sum(
                idf * word_weight(word, other.keys, other.parts)
                for i, (word, idf) in enumerate(zip(query.words, idfs, strict=True))
                if i not in cand.matched
            )
            context = max(context, gain)
        typed = 1.0 if query.kind and find_span(cand.text, query.kind, avoid=named) else 0.0
        cand.features = {
            "bm25": bm25 / n_words,
            "idf_cov": idf_hit / total_idf,
            "cov": hits / n_words,
            "soft": soft / total_idf,
            "context": context / total_idf,
            "typed": typed if query.kind in ("person", "time", "number", "place") else 0.0,
            "fuzz": fuzz.token_set_ratio(question_norm, cand.norm) / 100,
        }
        cand.score = sum(RANK_WEIGHTS[k] * v for k, v in cand.features.items())
    found.sort(key=lambda c: (-c.score, c.fact_id))


def rank(store: Store, view: IndexView, query: Query, *, limit: int = 60) -> list[Candidate]:
    """Candidates for the question, best first."""
    found = candidates(store, query, limit=limit)
    score(query, view, found, neighbours(store, found))
    return found
