"""SQuAD-da retrieval benchmark: faktabot's matcher beside BM25 and plain rapidfuzz.

Every SQuAD article is ingested as one faktabot article; each of the 4,159
questions is asked, and the quoted sentence counts as right when it comes from
the question's own paragraph and contains a gold answer.

    python bench/squad.py [--sample N] [--markdown]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import Stemmer
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faktabot.knowledge import Knowledge
from faktabot.knowledge.normalize import tokens
from squad_data import Where, index_articles, is_right, load


def build(articles) -> tuple[Knowledge, Where, float]:
    """Index the articles alone; return the knowledge, where each fact stands, seconds."""
    t0 = time.perf_counter()
    kb, where = index_articles(articles, range(len(articles)), seed=False)
    return kb, where, time.perf_counter() - t0


def judge(question, where, fact_ids) -> tuple[bool, bool]:
    right = [is_right(question, *where[f]) for f in fact_ids]
    return bool(right[:1] and right[0]), any(right[:3])


def run_faktabot(kb, where, questions):
    top1 = top3 = 0
    times = []
    for q in questions:
        t0 = time.perf_counter()
        hits = kb.search(q.text, limit=3)
        times.append(time.perf_counter() - t0)
        one, three = judge(q, where, [h.fact.id for h in hits])
        top1 += one
        top3 += three
    return top1, top3, times


def run_bm25(where, questions):
    """BM25 over Danish Snowball stems (SQLite FTS5's bm25), no stop words removed."""
    stem = Stemmer.Stemmer("danish").stemWord
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE s USING fts5(stems)")
    db.executemany(
        "INSERT INTO s (rowid, stems) VALUES (?, ?)",
        [(fid, " ".join(stem(t.raw) for t in tokens(text))) for fid, (_, _, text) in where.items()],
    )
    top1 = top3 = 0
    times = []
    for q in questions:
        t0 = time.perf_counter()
        terms = {stem(t.raw).replace('"', "") for t in tokens(q.text)}
        match = " OR ".join(f'"{t}"' for t in terms if t)
        ids = (
            [
                r[0]
                for r in db.execute(
                    "SELECT rowid FROM s WHERE s MATCH ? ORDER BY bm25(s) LIMIT 3", [match]
                )
            ]
            if match
            else []
        )
        times.append(time.perf_counter() - t0)
        one, three = judge(q, where, ids)
        top1 += one
        top3 += three
    return top1, top3, times


def run_rapidfuzz(where, questions):
    """`process.extract` with token_set_ratio over every sentence, no index."""
    ids = list(where)
    choices = [utils.default_process(where[f][2]) for f in ids]
    top1 = top3 = 0
    times = []
    for q in questions:
        t0 = time.perf_counter()
        best = process.extract(
            utils.default_process(q.text), choices, scorer=fuzz.token_set_ratio, limit=3
        )
        times.append(time.perf_counter() - t0)
        one, three = judge(q, where, [ids[i] for _, _, i in best])
        top1 += one
        top3 += three
    return top1, top3, times


def row(name, n, result) -> str:
    top1, top3, times = result
    ms = statistics.fmean(times) * 1000
    p95 = sorted(times)[int(0.95 * (len(times) - 1))] * 1000
    return f"| {name} | {n} | {top1 / n:.3f} | {top3 / n:.3f} | {ms:.2f} | {p95:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=0, help="ask only N questions (seeded)")
    parser.add_argument("--fuzz-sample", type=int, default=300, help="questions for rapidfuzz")
    args = parser.parse_args()
    articles, questions = load()
    if args.sample:
        questions = random.Random(7).sample(questions, args.sample)
    kb, where, seconds = build(articles)
    kb.ask("varm op")  # load the dictionaries before timing
    print(f"indexed {len(articles)} articles, {len(where)} sentences in {seconds:.1f} s\n")
    print("| method | questions | top-1 | top-3 | mean ms | p95 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(row("faktabot", len(questions), run_faktabot(kb, where, questions)))
    print(row("BM25, Danish stems (FTS5)", len(questions), run_bm25(where, questions)))
    sample = random.Random(11).sample(questions, min(args.fuzz_sample, len(questions)))
    print(
        row("rapidfuzz token_set_ratio, all sentences", len(sample), run_rapidfuzz(where, sample))
    )


if __name__ == "__main__":
    main()
