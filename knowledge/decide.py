"""Decide whether the best sentence answers the question, or whether to say "det ved jeg ikke".

A small logistic model over scale-free features that mean the same thing with one
short article indexed as with thousands: shares of the question's weight, not raw
counts. Its weights are fitted by `bench/heldout.py` on every situation a user meets
at once (a first article, briefs, whole articles, questions about articles not
indexed, near misses, small talk) and stored in `data/params.json`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .lexicon import contrasts
from .match import Candidate
from .params import DecisionParams
from .query import TYPO_WEIGHT, Query

# Per question: what it asks and how much of it the index knows at all.
QUESTION = ("short", "size")
# Per candidate: how it holds the question, beside its rank features.
HOLDS = ("synonym_only", "unmatched_name", "rarest", "matched", "plain_cov", "negated", "opposite")
# From its rank features.
RANKED = ("cov", "near", "paragraph", "article", "length")
FEATURES = ("top", "margin", *RANKED, *QUESTION, *HOLDS)
# With sentence vectors: the best candidate's cosine, and its lead over the runner-up's.
SEMANTIC = ("cosine", "cosine_margin")

RAREST_SCALE = 20.0  # about the rarity of a word the frequency table does not list


def question_facts(query: Query, *, n_facts: int) -> dict[str, float]:
    """What the decision reads of the question alone."""
    return {
        "short": 1.0 / (len(query.words) or 1),
        # With more facts indexed, a good-looking match is more often chance.
        "size": math.log10(max(n_facts, 1)) / 6,
    }


def holds(query: Query, idfs: list[float], cand: Candidate) -> dict[str, float]:
    """How one candidate holds the question, for the decision.

    A name or number of the question that the sentence lacks nearly always means it
    is about something else; an ordinary word it lacks often means it says the same in
    other words (the fitted model gives those no weight beyond the coverage they cost).
    Words that only common Danish shares with the sentence ("klokken", "hovedstaden")
    make a weak match whatever their rarity in a small index.
    """
    total = sum(idfs) or 1.0
    named = rarest = 0.0
    for i, word in enumerate(query.words):
        if i in cand.matched:
            rarest = max(rarest, word.rarity)
        elif word.named:
            named += idfs[i]
    exact = [i for i, w in cand.matched.items() if w >= TYPO_WEIGHT]
    return {
        # A corrected typo is the word itself; only synonyms and compound parts stand in.
        "synonym_only": 1.0 if cand.matched and not exact else 0.0,
        "unmatched_name": named / total,
        "rarest": min(rarest / RAREST_SCALE, 1.0),
        "matched": min(len(cand.matched), 4) / 4,
        # The share of the question held, each word weighing its rarity in Danish at large
        # rather than in this index: with one short article indexed every word is equally
        # rare in the index, but "overborgmester" still says more than "København".
        "plain_cov": sum(query.words[i].rarity * w for i, w in cand.matched.items())
        / (sum(w.rarity for w in query.words) or 1.0),
        **contrast(query, cand),
    }


def contrast(query: Query, cand: Candidate) -> dict[str, float]:
    """Whether the sentence says the question's opposite (`data/contrasts.txt`).

    `negated`: the question denies ("ikke", "aldrig") and the sentence does not.
    `opposite`: the question says one side ("største") and the sentence only the other.
    """
    negations, opposites = contrasts()
    asked = {*query.norms, *query.keys()}
    said = {*cand.norm.split(), *cand.keys}
    negated = not negations.isdisjoint(query.norms) and negations.isdisjoint(said)
    turned = any(
        word not in said and not opposites[word].isdisjoint(said)
        for word in asked
        if word in opposites
    )
    return {"negated": float(negated), "opposite": float(turned)}


def decision_features(
    question: Mapping[str, float],
    top: Mapping[str, float],
    *,
    top_score: float,
    runner_score: float | None,
    runner_cosine: float | None = None,
) -> dict[str, float]:
    """The model's inputs: the question's facts, the best candidate's, and its lead.

    `top` holds the best candidate's rank features and `holds`; the runner-up is the
    best candidate with another text. Where `top` has a cosine, SEMANTIC are added.
    """
    if not top:
        return dict.fromkeys(FEATURES, 0.0)
    out = {"top": top_score, "margin": top_score - (runner_score or 0.0)}
    out.update({k: top.get(k, 0.0) for k in RANKED})
    out.update({k: question[k] for k in QUESTION})
    out.update({k: top[k] for k in HOLDS})
    if "cosine" in top:
        out["cosine"] = top["cosine"]
        out["cosine_margin"] = top["cosine"] - (runner_cosine or 0.0)
    return out


@dataclass(frozen=True)
class Decision:
    """Answer when the confidence reaches the threshold."""

    weights: Mapping[str, float]
    bias: float
    threshold: float  # from the parameter file (`params.json`), the one place it is set

    @classmethod
    def of(cls, params: DecisionParams) -> Decision:
        return cls(dict(params.weights), params.bias, params.threshold)

    def confidence(self, features: Mapping[str, float]) -> float:
        z = self.bias + sum(w * features[k] for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
