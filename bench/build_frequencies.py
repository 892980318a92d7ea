"""Write knowledge/data/key_frequencies.tsv: in how many sentences of Danish prose each key occurs.

`knowledge.story` compares how often an article repeats its words with how often
sentences drawn at random from ordinary prose would; this table is that prose. It is
counted from every sentence of the SQuAD-da articles (Danish encyclopaedia text, the
only Danish corpus the project holds), with the analysis of the faktabot that writes
it, so rebuild it when the analysis changes its keys.

    python bench/build_frequencies.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from squad_data import load

from knowledge.analyze import sentence_terms
from knowledge.segment import split_sentences

OUT = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "key_frequencies.tsv"
MIN_COUNT = 2  # keys met once are left out: the reader counts any unlisted key as rare


def count() -> tuple[int, Counter[str]]:
    sentences = 0
    counts: Counter[str] = Counter()
    for article in load()[0]:
        for start, end in split_sentences(article.text):
            terms = sentence_terms(article.text[start:end]).terms
            counts.update(set(terms.replace("|", " ").split()))
            sentences += 1
    return sentences, counts


def main() -> None:
    sentences, counts = count()
    kept = sorted(
        ((n, k) for k, n in counts.items() if n >= MIN_COUNT), key=lambda x: (-x[0], x[1])
    )
    lines = [
        "# In how many sentences of Danish prose each search key occurs (knowledge.story).",
        "# Counted by bench/build_frequencies.py from the SQuAD-da articles; keys met once",
        "# are left out. The first line after the comments is the number of sentences.",
        f"sentences\t{sentences}",
        *(f"{key}\t{n}" for n, key in kept),
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(kept)} keys of {len(counts)}, {sentences} sentences")


if __name__ == "__main__":
    main()
