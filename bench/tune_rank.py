"""Tune the rerank weights of `knowledge.match` on SQuAD-da (coordinate search).

Collects every candidate's features once, then tries weight changes offline.
Prints the best weights; copy them into RANK_WEIGHTS by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from squad import build, load
from squad_data import is_right

from knowledge import match
from knowledge.query import analyse


def collect(limit: int):
    articles, questions = load()
    kb, where, _ = build(articles)
    view = kb.view
    table = []
    for q in questions:
        query = analyse(q.text, view, kb.synonyms)
        ranked = match.rank(kb.store, view, query, limit=limit, rerank=limit) if query.words else []
        seen, rows = set(), []
        for c in ranked:
            if c.norm in seen:
                continue
            seen.add(c.norm)
            rows.append((dict(c.features), is_right(q, *where[c.fact_id])))
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


def main() -> None:
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    table = collect(limit)
    recall = sum(any(r[1] for r in rows) for rows in table) / len(table)
    print(f"candidates recall@{limit}: {recall:.3f}")
    weights = dict(match.RANK_WEIGHTS)
    best = evaluate(table, weights, 20)
    print("start", best, weights)
    steps = [0.5, 0.25, 0.1, 0.05]
    for step in steps:
        improved = True
        while improved:
            improved = False
            for key in weights:
                for delta in (step, -step):
                    trial = dict(weights, **{key: max(0.0, round(weights[key] + delta, 3))})
                    got = evaluate(table, trial, 20)
                    if got[0] + 0.5 * got[1] > best[0] + 0.5 * best[1] + 1e-9:
                        best, weights, improved = got, trial, True
        print(step, best, weights)
    for rerank in (10, 15, 20, 30, 40):
        print("rerank", rerank, evaluate(table, weights, rerank))


if __name__ == "__main__":
    main()
