"""The rank features: each a small named function of one question and one candidate.

The first pass (`match.score`) fills FIRST_PASS for every candidate from what the
candidate search has already read. The second pass computes SECOND_PASS, one function
each, for the few candidates close to the best: they read the sentence's
surroundings, its spelling and its word order. Every feature's weight comes from
`knowledge.params`; RANK_FEATURES is what that file must name, no more, no less.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from rapidfuzz import fuzz, process

from .analysis import split_terms
from .normalize import fold
from .query import Query, QueryWord
from .spans import find_span

FIRST_PASS = ("idf_cov", "cov", "pool", "title")
TYPED = ("person", "time", "number", "place", "reason")

Weights = list[float]  # one sentence's weight for every question word


@dataclass
class Context:
    """What every second-pass feature of one question shares, worked out once."""

    query: Query
    idfs: list[float]
    by_place: dict[tuple[int, int], list[tuple[int, Weights]]] = field(default_factory=dict)
    by_position: dict[tuple[int, int], Weights] = field(default_factory=dict)
    # Facts holding each question word (where all were looked up), and an article's
    # first and last fact id: enough to tell whether an article holds a word.
    holders: dict[int, np.ndarray] = field(default_factory=dict)
    span: Callable[[int], tuple[int, int]] | None = None

    @cached_property
    def total_idf(self) -> float:
        return sum(self.idfs) or 1.0

    @cached_property
    def named(self) -> set[str]:
        return {fold(w.raw) for w in self.query.words} | {fold(w.base) for w in self.query.words}

    @cached_property
    def question_norm(self) -> str:
        return " ".join(fold(w.base or w.raw) for w in self.query.words)

    def gain(self, cand, others: list[Weights]) -> float:
        """Share of the question's idf the candidate lacks but these other sentences hold."""
        gain = 0.0
        for i, idf in enumerate(self.idfs):
            if i in cand.matched:
                continue
            gain += idf * max((o[i] for o in others), default=0.0)
        return gain / self.total_idf

    def neighbours(self, cand) -> list[Weights]:
        return [
            o
            for d in (-1, 1)
            if (o := self.by_position.get((cand.article_id, cand.position + d))) is not None
        ]

    def mates(self, cand) -> list[Weights]:
        return [
            weights
            for fact_id, weights in self.by_place.get((cand.article_id, cand.paragraph), ())
            if fact_id != cand.fact_id
        ]


Feature = Callable[[Context, object], float]


def soft(ctx: Context, cand) -> float:
    """Half credit for question words the sentence nearly spells: same 5-letter start, or close."""
    norms = cand.norm.split()
    prefixes = {n[:5] for n in norms if len(n) >= 5}
    got = sum(
        idf * soft_credit(word, norms, prefixes)
        for i, (word, idf) in enumerate(zip(ctx.query.words, ctx.idfs, strict=True))
        if i not in cand.matched
    )
    return got / ctx.total_idf


def soft_credit(word: QueryWord, norms: list[str], prefixes: set[str]) -> float:
    target = fold(word.base or word.raw)
    if word.number or len(target) < 4:
        return 0.0
    if len(target) >= 5 and target[:5] in prefixes:
        return 0.5
    if process.extractOne(target, norms, scorer=fuzz.ratio, score_cutoff=80):
        return 0.5
    return 0.0


def near(ctx: Context, cand) -> float:
    """Question words the sentence lacks that the one before or after holds."""
    return max((ctx.gain(cand, [o]) for o in ctx.neighbours(cand)), default=0.0)


def paragraph(ctx: Context, cand) -> float:
    """Question words the sentence lacks that the rest of its paragraph holds."""
    mates = ctx.mates(cand)
    return ctx.gain(cand, mates) if mates else 0.0


def article(ctx: Context, cand) -> float:
    """Question words the sentence lacks that its article holds somewhere.

    News names its place or subject once and then leaves it out: "Hvem er overborgmester
    i København?" is answered by a sentence that says only "Overborgmester ...", in an
    article that names Copenhagen earlier.
    """
    if ctx.span is None or not ctx.holders:
        return 0.0
    first, last = ctx.span(cand.article_id)
    gain = 0.0
    for i, holding in ctx.holders.items():
        if i in cand.matched or not len(holding):
            continue
        at = int(np.searchsorted(holding, first))
        if at < len(holding) and holding[at] <= last:
            gain += ctx.idfs[i]
    return gain / ctx.total_idf


def typed(ctx: Context, cand) -> float:
    """1 when the sentence holds the kind of answer the question word asks for."""
    if ctx.query.kind not in TYPED:
        return 0.0
    return 1.0 if find_span(cand.text, ctx.query.kind, avoid=ctx.named) is not None else 0.0


def _typed_as(kind: str) -> Feature:
    def feature(ctx: Context, cand) -> float:
        return cand.features["typed"] if ctx.query.kind == kind else 0.0

    feature.__name__ = f"typed_{kind}"
    feature.__doc__ = f"`typed`, for {kind} questions only: each kind earns its own weight."
    return feature


def fuzzy(ctx: Context, cand) -> float:
    """rapidfuzz's token_set_ratio of the question's and the sentence's folded words."""
    return fuzz.token_set_ratio(ctx.question_norm, cand.norm) / 100


ORDER_WINDOW = 1  # sentence words apart (stop words not counted): next to each other
ORDER_SKIP = 2  # question words apart: next to each other, or with one word between


def order(ctx: Context, cand) -> float:
    """idf of the question's word pairs the sentence holds side by side, in the same order.

    Two sentences may hold the same words; the one that puts them as the question does
    is likelier to say what was asked than one that scatters them over unrelated
    clauses. Each pair counts its lesser idf.
    """
    groups = split_terms(cand.terms)
    words, idfs = ctx.query.words, ctx.idfs
    at = [[p for p, g in enumerate(groups) if not w.keyset.isdisjoint(g)] for w in words]
    bonded = 0.0
    for i, first in enumerate(at):
        for j in range(i + 1, min(i + 1 + ORDER_SKIP, len(at))):
            if any(0 < q - p <= ORDER_WINDOW for p in first for q in at[j]):
                bonded += min(idfs[i], idfs[j])
    return bonded / ctx.total_idf


def length(ctx: Context, cand) -> float:
    """Sentence length in content words over 40 (at most 2): long sentences hold many
    words, so they match a question by chance more often."""
    return min(cand.length / 40, 2.0)


# In the order computed: the typed_* features read `typed`.
SECOND_PASS: dict[str, Feature] = {
    "soft": soft,
    "near": near,
    "paragraph": paragraph,
    "article": article,
    "typed": typed,
    **{f"typed_{kind}": _typed_as(kind) for kind in TYPED},
    "fuzz": fuzzy,
    "order": order,
    "length": length,
}

RANK_FEATURES = FIRST_PASS + tuple(SECOND_PASS)
