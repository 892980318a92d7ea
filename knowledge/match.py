"""Match a question to the sentences that answer it.

Stages, each small: the question is analysed into weighted keys (`query`),
FTS5 proposes candidates, a first pass scores them all on how much of the
question they hold, and a second pass reranks the best few on what plain BM25
lacks: near-miss spellings, the question's words found around the sentence (in
its paragraph, next to it, in the article's title), whether it holds the question's
words side by side, whether it holds the kind of answer asked for, and whether it ties
the asked noun to another country.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from rapidfuzz import fuzz, process

from .analyze import split_terms
from .cohesion import coherent
from .index import IndexView
from .lexicon import nationalities
from .normalize import fold
from .query import PART_WEIGHT, Query, QueryWord
from .spans import find_span
from .store import Store

MINOR_WEIGHT = 0.3  # share of its idf a given name keeps next to a surname
FIRST_PASS = ("idf_cov", "pool", "title", "coherent", "adrift")
TYPED = ("person", "time", "number", "place", "reason")

# Weights of the rerank score; tuned on the SQuAD-da benchmark (bench/tune_rank.py).
# BM25's length-normalised sum and the plain share of words covered scored no better
# than the idf-weighted share alone (the decision still reads the plain share).
# `coherent` was weighed with synthetic distractors indexed too (`--distractors`): 0.75
# ranked best there but cost SQuAD-da alone half a point of top-3; 0.5 keeps it.
# `order` was tuned alone, the others kept: top-1 0.633 -> 0.635 at 0.15, top-3 unchanged.
RANK_WEIGHTS = {
    "idf_cov": 1.35,
    "pool": 0.25,
    "title": 0.9,
    "coherent": 0.5,
    "adrift": -1.0,
    "soft": 0.95,
    "near": 0.3,
    "paragraph": 0.1,
    "scope": 0.5,
    "clash": -0.4,
    "typed_person": 0.05,
    "typed_time": 0.17,
    "typed_number": 0.32,
    "typed_place": 0.12,
    "typed_reason": 0.45,
    "fuzz": 0.25,
    "order": 0.15,
}

_COLUMNS = (
    "f.id, f.article_id, f.position, f.paragraph, f.text, f.norm, f.terms, f.parts, f.cohesion"
)


class Candidate:
    """A sentence being scored for one question: its stored data and what the scorer found."""

    __slots__ = (
        "article_id",
        "cohesion",
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
            self.cohesion,
        ) = parsed
        self.features: dict[str, float] = {}
        self.matched: dict[int, float] = {}  # query word index -> weight
        self.score = 0.0
        self.looked_up: frozenset[int] = frozenset()  # words whose `matched` weight is known


Credit = tuple[np.ndarray, np.ndarray]  # fact ids (ascending, once each), their weights

# What a stored fact row parses to once: ids, texts, its keys and its length. Keys are
# tuples, not sets: a tuple of strings is one object the garbage collector stops
# watching, where a set of them is walked key by key on every collection that meets it
# (the parsed-row cache held half a million such keys, a 40 ms pause each time).
Parsed = tuple[int, int, int, int, str, str, str, tuple[str, ...], tuple[str, ...], int, float]


def parse_row(row: tuple) -> Parsed:
    fid, aid, position, paragraph, text, norm, terms, parts, cohesion = row
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
        cohesion,
    )


# The second pass reranks the candidates whose first-pass score is within RERANK_WITHIN
# of the best (at least RERANK_MIN, at most `rerank`): where the first pass has already
# told them apart, the costlier features rarely change the order. On SQuAD-da this
# reranks 12 a question on average for the accuracy of a fixed 40.
RERANK_WITHIN = 0.2
RERANK_MIN = 10
POOL = 3  # rows scored on their postings per candidate kept: cohesion picks among them


def candidates(
    store: Store, query: Query, *, limit: int, view: IndexView, idfs: list[float] | None = None
) -> list[Candidate]:
    """Facts holding the question's rarer keys, the `limit` most promising first.

    Each fact is first scored from the keys' posting lists alone, without reading it: the
    idf of every question word it holds, stand-ins counting for less. Reading a posting
    list costs FTS5 far less than ranking its rows with bm25. Frequent keys do not bring
    facts in (`IndexView.match_keys`); they still count in the first pass. The best few
    times `limit` are then read, and how coherent each is (`knowledge.cohesion`) and
    whether its article tells a story (`knowledge.story`) pick the candidates among them:
    a sentence sharing no words with its own article is rarely one.
    """
    if idfs is None:
        idfs = [word_idf(w, view) for w in query.words]
    chosen = set(query.match_keys(view))
    if not chosen:
        return []
    total_idf = sum(idfs) or 1.0
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
    w_cov = RANK_WEIGHTS["idf_cov"] / total_idf
    w_coherent, w_adrift = RANK_WEIGHTS["coherent"], RANK_WEIGHTS["adrift"]
    # The first-pass weight scales every fact alike, so the order of `held` is the order of
    # the promise: only the few read below are scaled (at a million, 15,000 are held).
    top = _top(facts, held, POOL * limit)
    best = facts[top].tolist()
    if len(best) > limit:
        promise = dict(zip(best, held[top].tolist(), strict=True))
        priors = view.priors(best)
        adrift = view.adrift(a for _, a in priors.values())
        prior = {f: w_coherent * coherent(c) + w_adrift * adrift[a] for f, (c, a) in priors.items()}
        scored = {f: w_cov * promise[f] + prior[f] for f in best}
        best = sorted(sorted(scored), key=scored.__getitem__, reverse=True)[:limit]
    found = fetch(store, best, view)
    skipped = [k for k in sorted(query.keys()) if k not in chosen and view.df(k)]
    if skipped and found:
        kept = set(best)
        more = [f for f in _in_leading_articles(store, view, found, skipped) if f not in kept]
        found += fetch(store, more, view)
    looked_up = frozenset(credits)
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


LEADING = 3  # articles of the best candidates searched again for every key left out


def _in_leading_articles(
    store: Store, view: IndexView, best: list[Candidate], keys: list[str]
) -> list[int]:
    """Facts of the best candidates' articles that hold a key the postings budget left out.

    An article that holds several of the question's words is the likeliest place for the
    sentence that answers it, even where that sentence says it in other words ("dræbt"
    for "omkom") whose postings were too long to read in a large archive. FTS5 reads
    only the article's own stretch of ids.
    """
    leading = list(dict.fromkeys(c.article_id for c in best))[:LEADING]
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
    the same four times slower.)
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
        # and partitioning many equal values is ten times slower than sorting them.
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


def word_idf(word: QueryWord, view: IndexView) -> float:
    """A word's rarity: that of its own keys where the index has them."""
    own = [view.idf(k) for k, w in word.alternatives.items() if w == 1.0 and view.df(k)]
    seen = [view.idf(k) for k in word.alternatives if view.df(k)]
    idf = max(own) if own else max(seen) if seen else view.unseen_idf()
    return idf * MINOR_WEIGHT if word.minor else idf


def soft_credit(word: QueryWord, norms: list[str], prefixes: set[str]) -> float:
    """Half credit when a sentence word is near a query word: same 5-letter start, or close."""
    target = fold(word.base or word.raw)
    if word.number or len(target) < 4:
        return 0.0
    if len(target) >= 5 and target[:5] in prefixes:
        return 0.5
    if process.extractOne(target, norms, scorer=fuzz.ratio, score_cutoff=80):
        return 0.5
    return 0.0


def score(query: Query, view: IndexView, found: list[Candidate], idfs: list[float]) -> None:
    """First pass, on every candidate: how much of the question each sentence holds."""
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
            "coherent": coherent(cand.cohesion),
        }
    _pool_context(idfs, found)
    articles = {c.article_id for c in found}
    titles, adrift = view.title_keys(articles), view.adrift(articles)
    for cand in found:
        cand.features["adrift"] = adrift[cand.article_id]
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
        cand.score = sum(RANK_WEIGHTS[k] * cand.features[k] for k in FIRST_PASS)


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


def _gain(
    idfs: list[float],
    cand: Candidate,
    others: list[list[float]],
    *,
    only: list[bool] | None = None,
) -> float:
    """idf of the question words the candidate lacks but these other sentences hold.

    `others` holds each other sentence's weight for every question word; `only`
    restricts the count to some of the words.
    """
    gain = 0.0
    for i, idf in enumerate(idfs):
        if i in cand.matched or (only is not None and not only[i]):
            continue
        gain += idf * max((o[i] for o in others), default=0.0)
    return gain


ORDER_WINDOW = 1  # sentence words apart (stop words not counted): next to each other
ORDER_SKIP = 2  # question words apart: next to each other, or with one word between


def word_order(query: Query, idfs: list[float], cand: Candidate) -> float:
    """idf of the question's word pairs the sentence holds side by side, in the same order.

    Two sentences may hold the same words; the one that puts them as the question does
    ("ved Hamas' angreb" and "Ved angrebet ...") is likelier to say what was asked than
    one that scatters them over unrelated clauses. Each pair counts its lesser idf.
    """
    groups = split_terms(cand.terms)
    at = [[p for p, g in enumerate(groups) if not w.keyset.isdisjoint(g)] for w in query.words]
    bonded = 0.0
    for i, first in enumerate(at):
        for j in range(i + 1, min(i + 1 + ORDER_SKIP, len(at))):
            if any(0 < q - p <= ORDER_WINDOW for p in first for q in at[j]):
                bonded += min(idfs[i], idfs[j])
    return bonded / (sum(idfs) or 1.0)


def modifier_clash(
    query: Query, cand: Candidate, ties: list[tuple[QueryWord, str]] | None = None
) -> float:
    """1 when the question ties a noun to one country and the sentence ties it to another.

    "den amerikanske forsvarsminister" must not be answered with "Israels
    forsvarsminister", nor "hovedstaden i Tyskland" with "Warszawa hovedstaden":
    the same noun with another country next to it. `ties` may be passed in when many
    sentences are checked for one question.
    """
    countries = nationalities()
    if ties is None:
        ties = _country_ties(query, countries)
    if not ties:
        return 0.0
    words = split_terms(cand.terms)
    for noun, asked in ties:
        for pos, group in enumerate(words):
            if not any(k in noun.alternatives for k in group):
                continue
            # Modifiers stand before the noun in Danish ("Israels forsvarsminister").
            near = {
                countries[k]
                for other in words[max(0, pos - 2) : pos]
                for k in other
                if k in countries
            }
            if near and asked not in near:
                return 1.0
    return 0.0


def _country_ties(query: Query, countries: dict[str, str]) -> list[tuple[QueryWord, str]]:
    """(noun, country) pairs: "amerikanske minister", "hovedstaden i Tyskland"."""
    ties = []
    for left, right in zip(query.words, query.words[1:], strict=False):
        left_country = next((countries[k] for k in left.alternatives if k in countries), None)
        right_country = next((countries[k] for k in right.alternatives if k in countries), None)
        if left_country and not right_country and right.position == left.position + 1:
            if _modifier(left.raw):
                ties.append((right, left_country))
        elif (
            right_country
            and not left_country
            and right.position == left.position + 2
            and query.norms[left.position + 1] in _OF_PLACE
        ):
            ties.append((left, right_country))
    return ties


_OF_PLACE = frozenset({"i", "fra", "for"})  # "hovedstaden i Tyskland", "ministeren fra Israel"


def _modifier(word: str) -> bool:
    """An adjective ("amerikanske") or a genitive ("Israels") standing before its noun."""
    return word.endswith(("sk", "ske", "s"))


def rescore(
    query: Query, idfs: list[float], found: list[Candidate], around: list[Candidate]
) -> None:
    """Second pass, on the best few: near-misses, surroundings, word pairs, answer type."""
    total_idf = sum(idfs) or 1.0
    named = {fold(w.raw) for w in query.words} | {fold(w.base) for w in query.words}
    question_norm = " ".join(fold(w.base or w.raw) for w in query.words)
    typed_kind = query.kind in TYPED
    scoped = [w.scope for w in query.words]
    ties = _country_ties(query, nationalities())
    by_place: dict[tuple[int, int], list[tuple[int, list[float]]]] = {}
    by_position: dict[tuple[int, int], list[float]] = {}
    n_words = range(len(query.words))
    for other in around:
        # How well this sentence holds each question word, worked out once; a candidate's
        # first pass has already found it (`matched` holds every weight above 0).
        if other.features:
            weights = [other.matched.get(i, 0.0) for i in n_words]
        else:
            weights = [word_weight(w, other.keys, other.parts) for w in query.words]
        by_place.setdefault((other.article_id, other.paragraph), []).append(
            (other.fact_id, weights)
        )
        by_position[(other.article_id, other.position)] = weights
    for cand in found:
        norms = cand.norm.split()
        prefixes = {n[:5] for n in norms if len(n) >= 5}
        soft = sum(
            idf * soft_credit(word, norms, prefixes)
            for i, (word, idf) in enumerate(zip(query.words, idfs, strict=True))
            if i not in cand.matched
        )
        nearby = [
            o
            for d in (-1, 1)
            if (o := by_position.get((cand.article_id, cand.position + d))) is not None
        ]
        near = max((_gain(idfs, cand, [o]) for o in nearby), default=0.0)
        mates = [
            weights
            for fact_id, weights in by_place.get((cand.article_id, cand.paragraph), ())
            if fact_id != cand.fact_id
        ]
        typed = typed_kind and find_span(cand.text, query.kind, avoid=named) is not None
        cand.features.update(
            soft=soft / total_idf,
            near=near / total_idf,
            paragraph=_gain(idfs, cand, mates) / total_idf if mates else 0.0,
            scope=_gain(idfs, cand, mates + nearby, only=scoped) / total_idf,
            typed=1.0 if typed else 0.0,
            clash=modifier_clash(query, cand, ties),
            **{f"typed_{kind}": 1.0 if typed and query.kind == kind else 0.0 for kind in TYPED},
            fuzz=fuzz.token_set_ratio(question_norm, cand.norm) / 100,
            order=word_order(query, idfs, cand),
        )
        cand.score = sum(RANK_WEIGHTS.get(k, 0.0) * v for k, v in cand.features.items())


def rank(
    store: Store, view: IndexView, query: Query, *, limit: int = 100, rerank: int = 40
) -> list[Candidate]:
    """Candidates for the question, best first; only the close first few get the second pass."""
    idfs = [word_idf(w, view) for w in query.words]
    found = candidates(store, query, limit=limit, view=view, idfs=idfs)
    score(query, view, found, idfs)
    found.sort(key=lambda c: (-c.score, c.fact_id))
    if found:
        best = found[0].score
        close = sum(1 for c in found[:rerank] if c.score >= best - RERANK_WITHIN)
        rerank = max(close, RERANK_MIN)
    head = found[:rerank]
    known = {c.fact_id: c for c in found}
    rescore(query, idfs, head, surroundings(store, head, known=known, view=view))
    head.sort(key=lambda c: (-c.score, c.fact_id))
    return head + found[rerank:]
