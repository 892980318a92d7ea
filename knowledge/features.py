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

from .analyze import split_terms
from .lexicon import nationalities
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

    @cached_property
    def ties(self) -> list[tuple[QueryWord, str]]:
        return _country_ties(self.query, nationalities())

    def gain(self, cand, others: list[Weights], *, only: list[bool] | None = None) -> float:
        """Share of the question's idf the candidate lacks but these other sentences hold."""
        gain = 0.0
        for i, idf in enumerate(self.idfs):
            if i in cand.matched or (only is not None and not only[i]):
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


def scope(ctx: Context, cand) -> float:
    """Time expressions of the question ("den 7. oktober") held next to the sentence."""
    only = [w.scope for w in ctx.query.words]
    return ctx.gain(cand, ctx.mates(cand) + ctx.neighbours(cand), only=only)


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


def clash(ctx: Context, cand) -> float:
    """1 when the question ties a noun to one country and the sentence ties it to another.

    "den amerikanske minister" is not answered by a sentence about another country's
    minister: the same noun with another country just before it.
    """
    if not ctx.ties:
        return 0.0
    countries = nationalities()
    words = split_terms(cand.terms)
    for noun, asked in ctx.ties:
        for pos, group in enumerate(words):
            if not any(k in noun.alternatives for k in group):
                continue
            # Modifiers stand before the noun in Danish ("Israels forsvarsminister").
            near_by = {
                countries[k]
                for other in words[max(0, pos - 2) : pos]
                for k in other
                if k in countries
            }
            if near_by and asked not in near_by:
                return 1.0
    return 0.0


def _country_ties(query: Query, countries: dict[str, str]) -> list[tuple[QueryWord, str]]:
    """(noun, country) pairs: "amerikanske minister", "hovedstaden i Tyskland"."""
    ties = []
    for left, right in zip(query.words, query.words[1:], strict=False):
        left_country = next((countries[k] for k in left.alternatives if k in countries), None)
        right_country = next((countries[k] for k in right.alternatives if k in countries), None)
        if left_country and not right_country and right.position == left.position + 1:
            if left.raw.endswith(("sk", "ske", "s")):  # "amerikanske", "Israels"
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

# In the order computed: the typed_* features read `typed`.
SECOND_PASS: dict[str, Feature] = {
    "soft": soft,
    "near": near,
    "paragraph": paragraph,
    "article": article,
    "scope": scope,
    "typed": typed,
    **{f"typed_{kind}": _typed_as(kind) for kind in TYPED},
    "fuzz": fuzzy,
    "order": order,
    "length": length,
    "clash": clash,
}

RANK_FEATURES = FIRST_PASS + tuple(SECOND_PASS)
