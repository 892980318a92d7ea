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

# Below this many sentences an article is too short to tell: every sentence gets NEUTRAL.
MIN_SENTENCES = 4
NEUTRAL = 0.5
# 19 in 20 sentences of real articles (SQuAD-da and the seed) share at least this much;
# only text below it is told apart (`coherent`): how cohesive a good sentence is varies.
ORDINARY = 0.4


def key_sets(terms: list[str]) -> list[set[str]]:
    """Each sentence's distinct keys, from its stored terms (`knowledge.story` reads them too)."""
    return [set(t.replace("|", " ").split()) for t in terms]


def cohesion(terms: list[str], *, keys: list[set[str]] | None = None) -> list[float]:
    """For each sentence's terms, the share of its content words found in another sentence.

    `keys` are the sentences' `key_sets`, when the caller has them already.
    """
    if len(terms) < MIN_SENTENCES:
        return [NEUTRAL] * len(terms)
    seen: set[str] = set()
    shared: set[str] = set()  # keys in more than one sentence
    for sentence_keys in keys if keys is not None else key_sets(terms):
        shared |= seen & sentence_keys
        seen |= sentence_keys
    out = []
    for t in terms:
        groups = t.split()
        if not groups:
            out.append(NEUTRAL)
            continue
        # A word is shared if any of its keys is ("sige|sig" holds two).
        held = sum(
            1
            for group in groups
            if group in shared or ("|" in group and not shared.isdisjoint(group.split("|")))
        )
        out.append(round(held / len(groups), 3))
    return out


def coherent(share: float) -> float:
    """1 for a sentence that shares as much as ordinary prose does, less the further below."""
    return min(share / ORDINARY, 1.0)
