"""How much a sentence belongs to its article: the share of its words the article repeats.

A news article keeps returning to its people, places and events, so most content words
of a real sentence occur in another sentence of the same article. Text without a thread
(boilerplate, scrambled or machine-made sentences) shares few words with its neighbours.
The matcher reads this as a prior: among sentences that hold the question's words
equally, the one that is part of a coherent account is the better answer.

Computed once per article at ingest, from the stored terms (one `|`-joined group of keys
per content word), so it costs a question nothing.
"""

from __future__ import annotations

from collections import Counter

# Below this many sentences an article is too short to tell: every sentence gets NEUTRAL.
MIN_SENTENCES = 4
NEUTRAL = 0.5
# 19 in 20 sentences of real articles (SQuAD-da and the seed) share at least this much;
# only text below it is told apart (`coherent`): how cohesive a good sentence is varies.
ORDINARY = 0.4


def cohesion(terms: list[str]) -> list[float]:
    """For each sentence's terms, the share of its content words found in another sentence."""
    if len(terms) < MIN_SENTENCES:
        return [NEUTRAL] * len(terms)
    groups = [[set(group.split("|")) for group in t.split()] for t in terms]
    held = [set().union(*sentence) if sentence else set() for sentence in groups]
    counts: Counter[str] = Counter()
    for keys in held:
        counts.update(keys)
    out = []
    for sentence in groups:
        if not sentence:
            out.append(NEUTRAL)
            continue
        # Each sentence counts a key once, so a key counted twice is in another sentence.
        shared = sum(1 for group in sentence if any(counts[k] > 1 for k in group))
        out.append(round(shared / len(sentence), 3))
    return out


def coherent(share: float) -> float:
    """1 for a sentence that shares as much as ordinary prose does, less the further below."""
    return min(share / ORDINARY, 1.0)
