"""Does the bot decline what it cannot answer, at one article and at many?

1. The development questions on the seed article alone, and with all 24 SQuAD-da
   articles ingested as distractors (about 5,000 more sentences).
2. The seed article plus SQuAD-da articles 0-11 indexed: the questions of articles
   12-23 have no answer in the index and should be declined, while those of 0-11
   should be answered right.

    python bench/abstain.py [DEV_QUESTIONS.tsv]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from squad_data import SHARED, index_articles, is_right, load

from knowledge import Knowledge, Store
from knowledge.evaluate import evaluate, read_cases


def dev_row(name: str, kb: Knowledge, cases) -> str:
    report = evaluate(kb.ask, cases)
    ok, n = report.answerable
    off_ok, off_n = report.share(lambda k: k == "offtopic")
    near_ok, near_n = report.share(lambda k: k == "near")
    return (
        f"| {name} | {kb.store.counts()['facts']} | {ok}/{n} ({ok / n:.0%}) |"
        f" {off_ok}/{off_n} ({off_ok / off_n:.0%}) | {near_ok}/{near_n} |"
    )


def main() -> None:
    dev = Path(sys.argv[1]) if len(sys.argv) > 1 else SHARED / "dev_questions.tsv"
    cases = read_cases(dev)
    articles, questions = load()
    print("| knowledge | facts | answerable right | off-topic declined | near-topic declined |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(dev_row("seed article", Knowledge(Store.open(":memory:")), cases))
    kb, _ = index_articles(articles, range(len(articles)))
    print(dev_row("seed + 24 SQuAD-da articles", kb, cases))

    kb, where = index_articles(articles, range(12))
    inside = [q for q in questions if q.article < 12]
    outside = [q for q in questions if q.article >= 12]
    right = sum(
        1
        for q in inside
        if (a := kb.ask(q.text).answer) and a.fact.id in where and is_right(q, *where[a.fact.id])
    )
    declined = sum(1 for q in outside if kb.ask(q.text).answer is None)
    print("\n| seed + SQuAD-da articles 0-11 indexed | share |")
    print("| --- | ---: |")
    print(
        f"| questions of 0-11 answered right | {right}/{len(inside)} ({right / len(inside):.1%}) |"
    )
    print(
        f"| questions of 12-23 declined | {declined}/{len(outside)}"
        f" ({declined / len(outside):.1%}) |"
    )


if __name__ == "__main__":
    main()
