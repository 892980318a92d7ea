"""Decide whether the best sentence answers the question, or whether to say "det ved jeg ikke".

A small logistic model over a few scale-free features. Its weights are learnt by
`bench/train_decision.py` from SQuAD-da questions whose article is indexed
(answerable) against questions whose article is not (unanswerable), and stored
in `knowledge/data/decision.json`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache

from .lexicon import DATA
from .match import Candidate
from .query import TYPO_WEIGHT, Query

FEATURES = (
    "top",
    "margin",
    "idf_cov",
    "cov",
    "missing",
    "idf_missing",
    "synonym_only",
    "typed",
    "near",
    "paragraph",
    "short",
    "size",
    "long",
    "adrift",
)


def decision_features(
    query: Query, ranked: list[Candidate], *, view_idf: list[float], n_facts: int = 1
) -> dict[str, float]:
    """What the decision looks at, for the best candidate."""
    if not ranked or not query.words:
        return dict.fromkeys(FEATURES, 0.0)
    top = ranked[0]
    runner = next((c for c in ranked[1:] if c.norm != top.norm), None)
    total_idf = sum(view_idf) or 1.0
    missing = [i for i, w in enumerate(query.words) if not w.present]
    # A corrected typo is the word itself; only synonyms and compound parts stand in.
    exact = [i for i, w in top.matched.items() if w >= TYPO_WEIGHT]
    return {
        "top": top.score,
        "margin": top.score - (runner.score if runner else 0.0),
        "idf_cov": top.features["idf_cov"],
        "cov": top.features["cov"],
        "missing": len(missing) / len(query.words),
        "idf_missing": sum(view_idf[i] for i in missing) / total_idf,
        "synonym_only": 1.0 if top.matched and not exact else 0.0,
        "typed": top.features.get("typed", 0.0),
        "near": top.features.get("near", 0.0),
        "paragraph": top.features.get("paragraph", 0.0),
        "short": 1.0 / len(query.words),
        # With more facts indexed, a good-looking match is more often chance.
        "size": math.log10(max(n_facts, 1)) / 6,
        # Long sentences hold many words, so they match a question by chance more often.
        "long": min(top.length / 40, 2.0),
        # Text that repeats its words no more than chance tells no story (`knowledge.story`).
        "adrift": top.features.get("adrift", 0.0),
    }


@dataclass(frozen=True)
class Decision:
    """Answer when the confidence reaches the threshold.

    How many facts are indexed is one of the features (`size`): with thousands of
    sentences a half-covered question finds a plausible sentence by chance far more
    often, and the model learnt to ask more of it there.
    """

    weights: dict[str, float]
    bias: float
    threshold: float = 0.5

    @classmethod
    @cache
    def bundled(cls) -> Decision:
        data = json.loads((DATA / "decision.json").read_text(encoding="utf-8"))
        return cls(**data)

    def confidence(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
