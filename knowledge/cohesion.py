"""How much a sentence belongs to its article: the share of its words the article repeats.

A news article keeps returning to its people, places and events, so most content words
of a real sentence occur in another sentence of the same article. Text without a thread
(boilerplate, scrambled or machine-made sentences) shares few words with its neighbours.
The matcher reads this as a prior: among sentences that hold the question's words
equally, the one that is part of a coherent account is the better answer.

Computed once per article at ingest, from each content word's keys, so it costs a
question nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

# Below this many sentences an article is too short to tell: every sentence gets NEUTRAL.
MIN_SENTENCES = 4
NEUTRAL = 0.5
# 19 in 20 sentences of real articles (SQuAD-da and the seed) share at least this much;
# only text below it is told apart (`coherent`): how cohesive a good sentence is varies.
ORDINARY = 0.4


Words = Sequence[tuple[str, ...]]  # a sentence's content words, each as its keys


def key_sets(sentences: Sequence[Words]) -> list[set[str]]:
    """Each sentence's distinct keys (`knowledge.story` reads them too)."""
    return [set().union(*words) for words in sentences]


def cohesion(sentences: Sequence[Words], *, keys: list[set[str]] | None = None) -> list[float]:
    """For each sentence, the share of its content words found in another sentence.

    A sentence is its content words' keys (`SentenceTerms.word_keys`, or `split_terms` of
    the stored terms); `keys` are the sentences' `key_sets`, when the caller has them.
    """
    if len(sentences) < MIN_SENTENCES:
        return [NEUTRAL] * len(sentences)
    seen: set[str] = set()
    shared: set[str] = set()  # keys in more than one sentence
    for sentence_keys in keys if keys is not None else key_sets(sentences):
        shared |= seen & sentence_keys
        seen |= sentence_keys
    alone = shared.isdisjoint  # a word is shared if any of its keys is ("sige|sig" holds two)
    out = []
    for words in sentences:
        if not words:
            out.append(NEUTRAL)
            continue
        held = len(words) - sum(map(alone, words))  # counted in C: part of every ingest
        out.append(round(held / len(words), 3))
    return out


def coherent(share: float) -> float:
    """1 for a sentence that shares as much as ordinary prose does, less the further below."""
    return min(share / ORDINARY, 1.0)
