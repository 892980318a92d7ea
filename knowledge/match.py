"""Match a question to the sentences that answer it.

Stages, each small: the question is analysed into weighted keys (`query`),
FTS5 proposes candidates, a first pass scores them all on how much of the
question they hold, and a second pass reranks the best few on what plain BM25
lacks (`knowledge.features`): near-miss spellings, the question's words found around
the sentence (next to it, in its paragraph, elsewhere in its article, in the title),
whether it holds the question's words side by side, and whether it holds the kind of
answer asked for. The weights come from `knowledge.params`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from .features import SECOND_PASS, Context
from .params import Params, RankParams
from .query import PART_WEIGHT, Query, QueryWord
from .store import Store
from .view import IndexView

MINOR_WEIGHT = 0.3  # share of its idf a given name keeps next to a surname

_COLUMNS = "f.id, f.article_id, f.position, f.paragraph, f.text, f.norm, f.terms, f.parts"


class Candidate:
    """A sentence being scored for one question: its stored data and what the scorer found."""

    __slots__ = (
        "article_id",
        "fact_id",
        "features",
        "keys",
        "length",
        "looked_up",
        "matched",
        "norm",
        "paragraph",
        "parts",
        "position",
        "score",
        "terms",
        "text",
    )

    def __init__(self, parsed: Parsed) -> None:
        (
            self.fact_id,
            self.article_id,
            self.position,
            self.paragraph,
            self.text,
            self.norm,
            self.terms,
            self.parts,
            self.keys,
            self.length,
        ) = parsed
        self.features: dict[str, float] = {}
        self.matched: dict[int, float] = {}  # query word index -> weight
        self.score = 0.0
        self.looked_up: frozenset[int] = frozenset()  # words whose `matched` weight is known


Credit = tuple[np.ndarray, np.ndarray]  # fact ids (ascending, once each), their weights

# What a stored fact row parses to once: ids, texts, its keys and its length. Keys are
# tuples, not sets: a tuple of strings is one object the garbage collector stops
# watching, where a set of them is walked key by key on every collection that meets it
# (a long pause when the parsed-row cache is full).
Parsed = tuple[int, int, int, int, str, str, str, tuple[str, ...], tuple[str, ...], int]


def parse_row(row: tuple) -> Parsed:
    fid, aid, position, paragraph, text, norm, terms, parts = row
    keys = tuple(dict.fromkeys(terms.replace("|", " ").split()))
    length = terms.count(" ") + 1 if terms else 0
    return (
        fid,
        aid,
        position,
        paragraph,
        text,
        norm,
        terms,
        tuple(dict.fromkeys(parts.split())),
        keys,
        length,
    )


def candidates(
    store: Store,
    query: Query,
    *,
    limit: int,
    view: IndexView,
    idfs: list[float] | None = None,
    holders: dict[int, np.ndarray] | None = None,
) -> list[Candidate]:
    """Facts holding the question's rarer keys, the `limit` most promising first.

    Each fact is first scored from the keys' posting lists alone, without reading it: the
    idf of every question word it holds, stand-ins counting for less. Reading a posting
    list costs FTS5 far less than ranking its rows with bm25. Frequent keys do not bring
    facts in (`IndexView.match_keys`); they still count in the first pass. Only the
    `limit` best are read. `holders`, when given, receives every fact holding each
    question word that was looked up in full (word index -> ascending fact ids).
    """
    if idfs is None:
        idfs = question_idfs(query, view)
    chosen = set(query.match_keys(view))
    if not chosen:
        return []
    credits: dict[int, Credit] = {}  # word index -> the facts holding it, and their weights
    ids: list[np.ndarray] = []
    earned: list[np.ndarray] = []
    for i, (word, idf) in enumerate(zip(query.words, idfs, strict=True)):
        sources = [
            (view.postings(key, column), weight * share)
            for key, weight in word.alternatives.items()
            if key in chosen
            for column, share in (("terms", 1.0), ("parts", PART_WEIGHT))
        ]
        credit = _credit(sources)
        ids.append(credit[0])
        earned.append(credit[1] * idf)
        if all(k in chosen or not view.df(k) for k in word.alternatives):
            credits[i] = credit  # every fact holding the word is here: the first pass reuses it
    # What each fact holds of the question: the idf of each word, times its best stand-in.
    facts, held = _sum_by_fact(np.concatenate(ids), np.concatenate(earned))
    best = facts[_top(facts, held, limit)].tolist()
    found = fetch(store, best, view)
    skipped = [k for k in sorted(query.keys()) if k not in chosen and view.df(k)]
    if skipped and found:
        kept = set(best)
        more = [f for f in _in_leading_articles(store, view, found, skipped) if f not in kept]
        found += fetch(store, more, view)
    looked_up = frozenset(credits)
    if holders is not None:
        holders.update((i, holding) for i, (holding, _) in credits.items())
    for cand in found:
        cand.looked_up = looked_up
    fids = np.array([c.fact_id for c in found], dtype=np.int64)
    for i, (holding, weights) in credits.items():
        if not len(holding):
            continue
        at = np.searchsorted(holding, fids).clip(max=len(holding) - 1)
        matched = np.where(holding[at] == fids, weights[at], 0.0).tolist()
        for cand, weight in zip(found, matched, strict=True):
            if weight:
                cand.matched[i] = weight
    return found


def _in_leading_articles(
    store: Store, view: IndexView, best: list[Candidate], keys: list[str]
) -> list[int]:
    """Facts of the best candidates' articles that hold a key the postings budget left out.

    An article that holds several of the question's words is the likeliest place for the
    sentence that answers it, even where that sentence says it in other words ("dræbt"
    for "omkom") whose postings were too long to read in a large archive. FTS5 reads
    only the article's own stretch of ids.
    """
    leading = list(dict.fromkeys(c.article_id for c in best))[: view.limits.leading_articles]
    match = " OR ".join(f'"{k}"' for k in keys)
    found: list[int] = []
    for article_id in leading:
        first, last = view.fact_span(article_id)
        found += [
            row[0]
            for row in store.db.execute(
                "SELECT rowid FROM facts_fts WHERE facts_fts MATCH ? AND rowid BETWEEN ? AND ?",
                [match, first, last],
            )
        ]
    return found


def _credit(sources: list[tuple[np.ndarray, float]]) -> Credit:
    """The facts holding any of a word's sources, each with its best source's weight."""
    if len(sources) == 1:
        holding, weight = sources[0]
        return holding, np.full(len(holding), weight)
    sources = sorted(sources, key=lambda source: source[1])
    holding = np.concatenate([h for h, _ in sources] or [np.zeros(0, np.int64)])
    weights = np.concatenate([np.full(len(h), w) for h, w in sources] or [np.zeros(0)])
    order = np.argsort(holding, kind="stable")  # by fact, then by weight: the best is last
    holding, weights = holding[order], weights[order]
    last = np.ones(len(holding), bool)
    last[:-1] = holding[1:] != holding[:-1]
    return holding[last], weights[last]


def _sum_by_fact(ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct id (ascending) and the sum of its values, added in the order given.

    A stable sort keeps each fact's words in question order, so the sums are the ones a
    loop over the words would make, to the last bit. (`np.unique` with its inverse does
    the same, slower.)
    """
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    first = np.ones(len(ids), bool)
    first[1:] = ids[1:] != ids[:-1]
    return ids[first], np.bincount(np.cumsum(first) - 1, weights=values[order])


def _top(ids: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the `n` best scores, best first; equal scores in id order (`ids` ascend)."""
    among = np.arange(len(scores))
    if n <= 0:
        return among[:0]
    if len(scores) > n:
        # A sort, not np.partition: scores take few distinct values (sums of a few idfs),
        # and partitioning many equal values is slower than sorting them.
        cut = np.sort(scores)[len(scores) - n]
        above = among[scores > cut]
        among = np.concatenate((above, among[scores == cut][: n - len(above)]))
    return among[np.lexsort((ids[among], -scores[among]))]


def fetch(
    store: Store,
    ids: Iterable[int],
    view: IndexView,
    *,
    keep: Callable[[tuple], bool] | None = None,
) -> list[Candidate]:
    """Candidates for these facts, in this order; rows parsed before are not read again.

    `keep` picks rows by their leading columns (id, article, position, paragraph) before
    any is parsed.
    """
    ids = list(ids)
    parsed = {f: row for f in ids if (row := view.cached(f)) is not None}
    missing = [f for f in ids if f not in parsed]
    if missing:
        marks = ",".join("?" * len(missing))
        for row in store.db.execute(
            f"SELECT {_COLUMNS} FROM facts f WHERE f.id IN ({marks})", missing
        ):
            if keep is None or keep(row):
                parsed[row[0]] = view.parsed(row[0], row, parse_row)
    return [Candidate(parsed[f]) for f in ids if f in parsed and (keep is None or keep(parsed[f]))]


def surroundings(
    store: Store,
    found: list[Candidate],
    *,
    known: dict[int, Candidate],
    view: IndexView,
    reach: int = 3,
) -> list[Candidate]:
    """Sentences near each candidate: its neighbours and the rest of its paragraph (up to `reach`).

    An article's facts are inserted in order in one transaction, so nearby sentences
    have nearby ids; looking them up by primary key is the cheapest query there is.
    Sentences already fetched as candidates (`known`) are not read again.
    """
    wanted = {c.fact_id + d for c in found for d in range(-reach, reach + 1)}
    places = {(c.article_id, c.paragraph) for c in found}
    next_door = {(c.article_id, c.position + d) for c in found for d in (-1, 1)}

    def counts(row: tuple) -> bool:
        """Only the same paragraph or the very next sentence counts: parse just those."""
        return (row[1], row[3]) in places or (row[1], row[2]) in next_door

    out = [known[i] for i in wanted if i in known]
    return out + fetch(store, sorted(wanted - known.keys()), view, keep=counts)


def word_weight(word: QueryWord, keys: Iterable[str], parts: Iterable[str]) -> float:
    """How well one sentence holds one query word: 1 for the word itself, less for stand-ins."""
    best = 0.0
    alternatives = word.alternatives
    found = word.keyset.intersection(keys)
    if found:
        best = max(alternatives[k] for k in found)
    if best < PART_WEIGHT:
        in_parts = word.keyset.intersection(parts)
        if in_parts:
            best = max(best, PART_WEIGHT * max(alternatives[k] for k in in_parts))
    return best


def question_idfs(query: Query, view: IndexView) -> list[float]:
    """Each question word's idf: worked out once per question and index, for the
    ranking and the decision alike."""
    if query.weighed is None or query.weighed[0] is not view:
        query.weighed = (view, [word_idf(w, view) for w in query.words])
    return query.weighed[1]


def word_idf(word: QueryWord, view: IndexView) -> float:
    """A word's rarity: that of its own keys where the index has them."""
    own = [view.idf(k) for k, w in word.alternatives.items() if w == 1.0 and view.df(k)]
    seen = [view.idf(k) for k in word.alternatives if view.df(k)]
    idf = max(own) if own else max(seen) if seen else view.unseen_idf()
    return idf * MINOR_WEIGHT if word.minor else idf


def score(
    query: Query,
    view: IndexView,
    found: list[Candidate],
    idfs: list[float],
    *,
    weights: Mapping[str, float] | None = None,
) -> None:
    """First pass, on every candidate: how much of the question each sentence holds."""
    weights = weights if weights is not None else Params.bundled().rank.first()
    total_idf = sum(idfs) or 1.0
    n_words = len(query.words) or 1
    for cand in found:
        idf_hit = 0.0
        for i, (word, idf) in enumerate(zip(query.words, idfs, strict=True)):
            if i in cand.looked_up:
                weight = cand.matched.get(i, 0.0)
            else:
                weight = word_weight(word, cand.keys, cand.parts)
                if weight:
                    cand.matched[i] = weight
            idf_hit += idf * weight
        cand.features = {
            "idf_cov": idf_hit / total_idf,
            "cov": len(cand.matched) / n_words,
        }
    _pool_context(idfs, found)
    articles = {c.article_id for c in found}
    titles = view.title_keys(articles)
    for cand in found:
        keys = titles[cand.article_id]
        cand.features["title"] = (
            sum(
                idf * word_weight(word, keys, keys)
                for i, (word, idf) in enumerate(zip(query.words, idfs, strict=True))
                if i not in cand.matched
            )
            / total_idf
        )
    for cand in found:
        cand.score = sum(w * cand.features[k] for k, w in weights.items())


def _pool_context(idfs: list[float], found: list[Candidate]) -> None:
    """Credit for question words held by other candidates of the same paragraph or next door.

    Questions often name their topic in the sentence before the answer; this finds
    that within the candidates already fetched, at no extra cost.
    """
    total_idf = sum(idfs) or 1.0
    groups: dict[tuple[int, int], set[int]] = {}
    at: dict[tuple[int, int], set[int]] = {}
    for cand in found:
        groups.setdefault((cand.article_id, cand.paragraph), set()).update(cand.matched)
        at[(cand.article_id, cand.position)] = set(cand.matched)
    for cand in found:
        held = set(groups[(cand.article_id, cand.paragraph)])
        for d in (-1, 1):
            held |= at.get((cand.article_id, cand.position + d), set())
        extra = held - cand.matched.keys()
        cand.features["pool"] = sum(idfs[i] for i in extra) / total_idf


def rescore(
    query: Query,
    idfs: list[float],
    found: list[Candidate],
    around: list[Candidate],
    *,
    weights: Mapping[str, float] | None = None,
    holders: dict[int, np.ndarray] | None = None,
    view: IndexView | None = None,
) -> None:
    """Second pass, on the best few: every feature of `features.SECOND_PASS`, then the score.

    `holders` (from `candidates`) and `view` let it see the question words elsewhere in
    each candidate's article; without them that feature is 0.
    """
    weights = weights if weights is not None else Params.bundled().rank.weights
    ctx = Context(query, idfs, holders=holders or {}, span=view.fact_span if view else None)
    n_words = range(len(query.words))
    for other in around:
        # How well this sentence holds each question word, worked out once; a candidate's
        # first pass has already found it (`matched` holds every weight above 0).
        if other.features:
            held = [other.matched.get(i, 0.0) for i in n_words]
        else:
            held = [word_weight(w, other.keys, other.parts) for w in query.words]
        ctx.by_place.setdefault((other.article_id, other.paragraph), []).append(
            (other.fact_id, held)
        )
        ctx.by_position[(other.article_id, other.position)] = held
    for cand in found:
        for name, feature in SECOND_PASS.items():
            cand.features[name] = feature(ctx, cand)
        cand.score = sum(w * cand.features[k] for k, w in weights.items())


def head_size(scores: list[float], *, within: float, least: int, most: int) -> int:
    """How many of the first-pass best (scores descending) the second pass reranks.

    Those within `within` of the best, at least `least`, at most `most`: where the first
    pass has already told candidates apart, the costlier features rarely change the order.
    """
    if not scores:
        return 0
    close = sum(1 for s in scores[:most] if s >= scores[0] - within)
    return min(max(close, least), most)


def rank(
    store: Store,
    view: IndexView,
    query: Query,
    *,
    params: RankParams | None = None,
    limit: int = 100,
    rerank: int | None = None,
) -> list[Candidate]:
    """Candidates for the question, best first; only the close first few get the second pass
    (`rerank` at most, the parameters' `max_rerank` unless given)."""
    params = params or Params.bundled().rank
    first = params.first()
    idfs = question_idfs(query, view)
    holders: dict[int, np.ndarray] = {}
    found = candidates(store, query, limit=limit, view=view, idfs=idfs, holders=holders)
    score(query, view, found, idfs, weights=first)
    found.sort(key=lambda c: (-c.score, c.fact_id))
    most = params.max_rerank if rerank is None else rerank
    n = head_size(
        [c.score for c in found], within=params.within, least=params.min_rerank, most=most
    )
    head = found[:n]
    known = {c.fact_id: c for c in found}
    around = surroundings(store, head, known=known, view=view)
    rescore(query, idfs, head, around, weights=params.weights, holders=holders, view=view)
    head.sort(key=lambda c: (-c.score, c.fact_id))
    return head + found[n:]


def fuse(ranked: list[Candidate], cosines: Sequence[float], *, weight: float) -> list[Candidate]:
    """The lexical best (one cosine each, in order) re-ranked by score + weight * cosine.

    Meaning beyond shared words: "bortført" and "gidsler" share no letters, yet their
    sentences lie close in the embedding. The rest keep their lexical order behind them.
    """
    head = ranked[: len(cosines)]
    for cand, cosine in zip(head, cosines, strict=True):
        cand.features["cosine"] = float(cosine)
        cand.score += weight * float(cosine)
    head.sort(key=lambda c: (-c.score, c.fact_id))
    return head + ranked[len(cosines) :]
