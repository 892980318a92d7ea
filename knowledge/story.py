"""Whether an article tells a story: its words come back more often than chance would bring them.

Real text is bursty. A news story names its people, places and events again and again,
far more often than sentences drawn at random from ordinary prose would repeat those
words; text with no thread (word salad, scraped boilerplate, shuffled sentences) repeats
its words about as often as chance. The ratio of the two is nearly free of the text's
length, which the plain share of repeated words (`knowledge.cohesion`) is not: short
real articles repeat fewer words than long ones, yet far more than chance.

Chance is read off a reference table of Danish prose (`data/key_frequencies.tsv`). Each
key counts by its rarity there, so a repeated name weighs more than a repeated "år".
Repeats are counted within runs of about CHUNK sentences, so a long article is not
credited for meeting common words again after fifty sentences.

Computed once per article at ingest and stored; the matcher reads `adrift` from it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from itertools import pairwise, repeat

from .cohesion import Words, key_sets
from .lexicon import DATA, read_lines

MIN_SENTENCES = 4  # fewer sentences tell nothing: such an article is never adrift
CHUNK = 8  # sentences within which a repeat counts
MISSING = 0.5  # count given to a key the reference does not list (met at most once there)
# The repeat ratio of 1,500 articles of the benchmark's word salad (bench/synth.py): median
# 0.54, 99th percentile 1.06. Of SQuAD-da's 719 paragraphs taken alone (5 sentences on
# average): 1st percentile 0.90, 5th 1.91; its whole articles 2.8-7.0; the seed 16.7.
# `adrift` is 1 up to LOW and 0 from HIGH up.
LOW = 0.5
HIGH = 1.5


@cache
def reference() -> tuple[dict[str, float], dict[str, float], float, float]:
    """Per key its rarity and its rarity times its chance of being in a sentence; then both
    for a key the table does not list."""
    lines = read_lines(DATA / "key_frequencies.tsv")
    total = float(lines[0].split("\t")[1])
    rarity, chance = {}, {}
    for line in lines[1:]:
        key, count = line.split("\t")
        rarity[key], chance[key] = _weights(float(count), total)
    return rarity, chance, *_weights(MISSING, total)


def _weights(count: float, total: float) -> tuple[float, float]:
    rare = math.log(1 + total / count)
    return rare, rare * count / total


def repeat_ratio(sentences: Sequence[Words], *, keys: list[set[str]] | None = None) -> float | None:
    """Weighted key repeats within runs of sentences, over what chance would give.

    `sentences` are each sentence's content words as keys, in order (`cohesion.Words`;
    `keys`: their `key_sets`, when the caller has them). None for an article too short to
    tell. A key met in s sentences of a run of m repeats s - 1 times; chance would have
    brought it back into each of the other m - 1 with its reference share. The sums run in
    C (`map`): this is part of every ingest.
    """
    n = len(sentences)
    if n < MIN_SENTENCES:
        return None
    rarity, chance, rare_unlisted, chance_unlisted = reference()
    rarity_of, chance_of = rarity.get, chance.get
    keysets = keys if keys is not None else key_sets(sentences)
    runs = max(1, round(n / CHUNK))
    bounds = [round(i * n / runs) for i in range(runs + 1)]
    observed = expected = 0.0
    for start, end in pairwise(bounds):
        seen: set[str] = set()
        repeats: list[str] = []  # a key once for every sentence after its first
        for sentence_keys in keysets[start:end]:
            repeats += seen & sentence_keys
            seen |= sentence_keys
        observed += sum(map(rarity_of, repeats, repeat(rare_unlisted)))
        expected += (end - start - 1) * sum(map(chance_of, seen, repeat(chance_unlisted)))
    return round(observed / expected, 3) if expected else None


def adrift(ratio: float | None) -> float:
    """1 for text that repeats its words no more than chance, 0 for a story; unknown is 0."""
    if ratio is None:
        return 0.0
    if ratio <= LOW:
        return 1.0
    return max(0.0, min(1.0, math.log(HIGH / ratio) / math.log(HIGH / LOW)))
