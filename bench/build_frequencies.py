"""Write knowledge/data/key_frequencies.tsv: how often each search key occurs in Danish.

The decision asks how rare a question's matched words are in Danish at large, not just
among the articles indexed: with one short article indexed, "klokken" is as rare as
"metrolinje", though only one of them says what a question is about. The table is
derived from wordfreq's Danish word list (Wikipedia, subtitles, news, web text and more;
its data is CC BY-SA 4.0, by Robyn Speer and contributors), each word's frequency
added to every search key the project's analysis gives it. None of it is the text the
benchmarks ask about. Rebuild it when the analysis changes its keys.

    pip install -e '.[bench]' && python bench/build_frequencies.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import wordfreq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from faktabot.knowledge.lexicon import keys

OUT = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "key_frequencies.tsv"
WORDS = 100_000_000  # counts are per this many running words
MIN_COUNT = 10  # rarer keys are left out: the reader counts any unlisted key as rarest


def count() -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in wordfreq.top_n_list("da", 1_000_000):
        share = wordfreq.word_frequency(word, "da")
        for key in set(keys(word)):
            counts[key] += share * WORDS
    return counts


def main() -> None:
    counts = count()
    kept = sorted(
        ((round(n), k) for k, n in counts.items() if n >= MIN_COUNT), key=lambda x: (-x[0], x[1])
    )
    lines = [
        "# How often each search key occurs in Danish: per the number of running words on",
        "# the first line after the comments. Derived by bench/build_frequencies.py from",
        "# wordfreq's Danish word list (data CC BY-SA 4.0); rarer keys are left out.",
        f"words\t{WORDS}",
        *(f"{key}\t{n}" for n, key in kept),
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(kept)} keys of {len(counts)}")


if __name__ == "__main__":
    main()
