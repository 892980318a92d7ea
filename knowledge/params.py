"""The matcher's and the decision's numbers, read from one versioned data file.

Every rank weight, the decision's weights and its threshold live in
`data/params.json`, which `bench/heldout.py --write` fits on SQuAD-da and writes with
a note of where each value came from. They reach `match.rank` and `Knowledge` as
keyword options, so a benchmark can try other values without touching module state.

A weight for a feature nobody computes, or a feature without a weight, is an error:
a mistyped name must not silently weigh nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from .lexicon import DATA

PARAMS_FILE = DATA / "params.json"
PARAMS_VERSION = 3


class ParamsError(ValueError):
    """The parameter file does not fit the features the code computes."""


def check_names(given: Iterable[str], known: Iterable[str], *, what: str) -> None:
    given, known = set(given), set(known)
    unknown, missing = sorted(given - known), sorted(known - given)
    if unknown or missing:
        raise ParamsError(f"{what}: unknown {unknown or 'none'}, missing {missing or 'none'}")


@dataclass(frozen=True)
class RankParams:
    """Weights of the two ranking passes.

    `first_pass` scores every candidate on the features known without reading its
    surroundings; the second pass reranks the candidates within `within` of the best
    (at least `min_rerank`, at most `max_rerank`) on every feature, the first-pass ones
    included.
    """

    weights: Mapping[str, float]
    first_pass: tuple[str, ...]
    within: float = 0.2
    min_rerank: int = 10
    max_rerank: int = 25

    def first(self) -> dict[str, float]:
        return {k: self.weights[k] for k in self.first_pass}


@dataclass(frozen=True)
class DecisionParams:
    """A logistic model: answer when the confidence reaches `threshold`.

    `max_facts` is the largest knowledge base it was fitted on: a larger one is read as
    that size, so the model is never asked about sizes it has not seen.
    """

    weights: Mapping[str, float]
    bias: float
    threshold: float
    max_facts: int


@dataclass(frozen=True)
class SemanticParams:
    """Sentence vectors on top of the lexical ranking (used when an embedder is on).

    The lexical best `rerank` are re-ranked by their score plus `cosine` times the
    cosine of question and sentence; the answer is then decided by `decision`, which
    also reads the cosines (`decide.SEMANTIC`). `model` names the embedder fitted with.
    """

    model: str
    rerank: int
    cosine: float
    decision: DecisionParams


@dataclass(frozen=True)
class Params:
    rank: RankParams
    decision: DecisionParams
    notes: Mapping[str, Any] = field(default_factory=dict)
    semantic: SemanticParams | None = None

    @classmethod
    def load(cls, path: str | Path = PARAMS_FILE) -> Params:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("version") != PARAMS_VERSION:
            raise ParamsError(f"{path}: version {data.get('version')}, expected {PARAMS_VERSION}")
        rank, decision = data["rank"], data["decision"]
        semantic = data.get("semantic")
        params = cls(
            rank=RankParams(
                weights=dict(rank["weights"]),
                first_pass=tuple(rank["first_pass"]),
                within=float(rank["within"]),
                min_rerank=int(rank["min_rerank"]),
                max_rerank=int(rank["max_rerank"]),
            ),
            decision=_decision(decision),
            notes=data.get("notes", {}),
            semantic=None
            if semantic is None
            else SemanticParams(
                model=str(semantic["model"]),
                rerank=int(semantic["rerank"]),
                cosine=float(semantic["cosine"]),
                decision=_decision(semantic["decision"]),
            ),
        )
        params.validate()
        return params

    @classmethod
    @cache
    def bundled(cls) -> Params:
        return cls.load(PARAMS_FILE)

    def validate(self) -> None:
        from .decide import FEATURES as DECISION_FEATURES
        from .decide import SEMANTIC
        from .features import FIRST_PASS, RANK_FEATURES

        check_names(self.rank.weights, RANK_FEATURES, what="rank weights")
        check_names(self.decision.weights, DECISION_FEATURES, what="decision weights")
        stray = set(self.rank.first_pass) - set(FIRST_PASS)
        if stray:
            raise ParamsError(f"first pass: {sorted(stray)} are not known before the second")
        if not 0 < self.rank.min_rerank <= self.rank.max_rerank:
            raise ParamsError("rank: 0 < min_rerank <= max_rerank is needed")
        if not 0 < self.decision.threshold < 1:
            raise ParamsError("decision: the threshold is a confidence between 0 and 1")
        if self.semantic is not None:
            check_names(
                self.semantic.decision.weights,
                DECISION_FEATURES + SEMANTIC,
                what="semantic decision weights",
            )
            if self.semantic.rerank < 1:
                raise ParamsError("semantic: rerank at least one candidate")
            if not 0 < self.semantic.decision.threshold < 1:
                raise ParamsError("semantic: the threshold is a confidence between 0 and 1")

    def with_rank(self, **changes: Any) -> Params:
        return replace(self, rank=replace(self.rank, **changes))

    def with_decision(self, **changes: Any) -> Params:
        return replace(self, decision=replace(self.decision, **changes))

    def with_semantic(self, **changes: Any) -> Params:
        assert self.semantic is not None
        return replace(self, semantic=replace(self.semantic, **changes))

    def to_json(self) -> dict[str, Any]:
        out = {
            "version": PARAMS_VERSION,
            "notes": dict(self.notes),
            "rank": {
                "first_pass": list(self.rank.first_pass),
                "within": self.rank.within,
                "min_rerank": self.rank.min_rerank,
                "max_rerank": self.rank.max_rerank,
                "weights": {k: round(v, 4) for k, v in sorted(self.rank.weights.items())},
            },
            "decision": _decision_json(self.decision),
        }
        if self.semantic is not None:
            out["semantic"] = {
                "model": self.semantic.model,
                "rerank": self.semantic.rerank,
                "cosine": round(self.semantic.cosine, 4),
                "decision": _decision_json(self.semantic.decision),
            }
        return out

    def write(self, path: str | Path = PARAMS_FILE) -> None:
        Path(path).write_text(
            json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def _decision(data: Mapping[str, Any]) -> DecisionParams:
    return DecisionParams(
        weights=dict(data["weights"]),
        bias=float(data["bias"]),
        threshold=float(data["threshold"]),
        max_facts=int(data["max_facts"]),
    )


def _decision_json(d: DecisionParams) -> dict[str, Any]:
    return {
        "threshold": d.threshold,
        "max_facts": d.max_facts,
        "bias": round(d.bias, 4),
        "weights": {k: round(v, 4) for k, v in sorted(d.weights.items())},
    }
