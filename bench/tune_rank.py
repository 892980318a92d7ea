"""Tune the rerank weights of `knowledge.match` on SQuAD-da (coordinate search).

Collects every candidate's features once, then tries weight changes offline.
Prints the best weights; copy them into RANK_WEIGHTS by hand.

With `--distractors N` the questions are also asked with N synthetic Danish-like
sentences (bench/synth.py, a seed the scale benchmark does not use) indexed beside the
articles, and the weights are chosen on both settings at once: a large archive holds
much text that shares a question's words without being about it.

    python bench/tune_rank.py [LIMIT] [--distractors 30000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from squad import build, load
from squad_data import is_right

from bench.synth import synthetic_records
from knowledge import ArticleInput, match
from knowledge.query import analyse


def collect(limit: int, distractors: int = 0):
    articles, questions = load()
    kb, where, _ = build(articles)
    if distractors:
        records = synthetic_records(distractors, seed=7)
        for _ in kb.ingest(ArticleInput(r["text"], title=r["title"]) for r in records):
            pass
    view = kb.view
    match.RERANK_WITHIN = float("inf")  # every candidate gets its second-pass features
    table = []
    for q in questions:
        query = analyse(q.text, view, kb.synonyms)
        ranked = match.rank(kb.store, view, query, limit=limit, rerank=limit) if query.words else []
        seen, rows = set(), []
        for c in ranked:
            if c.norm in seen:
                continue
            seen.add(c.norm)
            right = c.fact_id in where and is_right(q, *where[c.fact_id])
            rows.append((dict(c.features), right))
        table.append(rows)
    return table


def evaluate(table, weights, rerank):
    top1 = top3 = 0
    for rows in table:
        first = sorted(rows, key=lambda r: -sum(weights[k] * r[0][k] for k in match.FIRST_PASS))[
            :rerank
        ]
        ordered = sorted(
            first, key=lambda r: -sum(weights.get(k, 0.0) * v for k, v in r[0].items())
        )
        top1 += bool(ordered and ordered[0][1])
        top3 += any(r[1] for r in ordered[:3])
    n = len(table)
    return top1 / n, top3 / n


def evaluate_all(tables, weights, rerank):
    """Top-1 and top-3 averaged over the settings."""
    scores = [evaluate(table, weights, rerank) for table in tables]
    return tuple(sum(s[i] for s in scores) / len(scores) for i in (0, 1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("limit", type=int, nargs="?", default=60)
    parser.add_argument("--distractors", type=int, default=0)
    parser.add_argument("--keep", nargs="*", default=[], help="weights left as they are")
    args = parser.parse_args()
    limit = args.limit
    tables = [collect(limit)]
    if args.distractors:
        tables.append(collect(limit, args.distractors))
    for table in tables:
        recall = sum(any(r[1] for r in rows) for rows in table) / len(table)
        print(f"candidates recall@{limit}: {recall:.3f}", evaluate(table, match.RANK_WEIGHTS, 30))
    weights = dict(match.RANK_WEIGHTS)
    best = evaluate_all(tables, weights, 20)
    print("start", best, weights)
    steps = [0.5, 0.25, 0.1, 0.05]
    for step in steps:
        improved = True
        while improved:
            improved = False
            for key in [k for k in weights if k not in args.keep]:
                for delta in (step, -step):
                    trial = dict(weights, **{key: max(0.0, round(weights[key] + delta, 3))})
                    got = evaluate_all(tables, trial, 20)
                    if got[0] + 0.5 * got[1] > best[0] + 0.5 * best[1] + 1e-9:
                        best, weights, improved = got, trial, True
        print(step, best, weights)
    for rerank in (10, 15, 20, 30, 40):
        print("rerank", rerank, [evaluate(table, weights, rerank) for table in tables])


if __name__ == "__main__":
    main()
