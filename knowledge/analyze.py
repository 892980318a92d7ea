"""Turn a sentence into the search terms the index stores for it."""

from __future__ import annotations

from typing import NamedTuple

from .lexicon import compound_parts, keys, stopwords
from .normalize import tokens


class SentenceTerms(NamedTuple):
    terms: str  # space-separated keys of each content word, in order
    parts: str  # keys of compound parts, which count for less
    words: dict[str, str]  # folded surface form -> surface form, for typo correction


def sentence_terms(text: str) -> SentenceTerms:
    """Keys of every content word of a sentence, as the FTS index and the scorer read them."""
    stop = stopwords()
    terms: list[str] = []
    parts: list[str] = []
    words: dict[str, str] = {}
    for tok in tokens(text):
        if tok.norm in stop:
            continue
        word_keys = keys(tok.raw)
        terms.append("|".join(word_keys))
        parts.extend(compound_parts(tok.raw))
        if not tok.raw[0].isdigit():
            words.setdefault(tok.norm, tok.raw)
    return SentenceTerms(" ".join(terms), " ".join(dict.fromkeys(parts)), words)


def split_terms(terms: str) -> list[tuple[str, ...]]:
    """The stored `terms` text back as one tuple of keys per content word."""
    return [tuple(w.split("|")) for w in terms.split()]
