"""General Danish synonyms, read from data files.

A group is a set of words and phrases that may stand for each other
("dræbe, slå ihjel, omkomme"). Lookup is by folded lemma, so any inflected
form of a member finds its group.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .lexicon import DATA, lemma, read_lines
from .normalize import tokens

Phrase = tuple[str, ...]  # lower-case lemmas of a member's words


def phrase_of(text: str) -> Phrase:
    return tuple(lemma(t.raw) for t in tokens(text))


class Synonyms:
    """Synonym groups, indexed by every member's first lemma."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        self.groups: list[tuple[Phrase, ...]] = []
        self._by_first: dict[str, list[tuple[Phrase, int]]] = {}
        for members in groups:
            phrases = tuple(dict.fromkeys(p for p in map(phrase_of, members) if p))
            if len(phrases) < 2:
                continue
            index = len(self.groups)
            self.groups.append(phrases)
            for phrase in phrases:
                self._by_first.setdefault(phrase[0], []).append((phrase, index))

    @classmethod
    def load(cls, *paths: str | Path) -> Synonyms:
        """The bundled groups, plus the operator's files if given."""
        sources = [DATA / "synonyms.txt", *(Path(p) for p in paths)]
        groups = []
        for source in sources:
            groups.extend(line.split(",") for line in read_lines(source))
        return cls(groups)

    def find(self, lemmas: list[str]) -> list[tuple[int, int, tuple[Phrase, ...]]]:
        """(start, end, other members) for each member phrase found in a lemma sequence."""
        found = []
        for i, first in enumerate(lemmas):
            for phrase, index in self._by_first.get(first, ()):
                end = i + len(phrase)
                if tuple(lemmas[i:end]) == phrase:
                    others = tuple(p for p in self.groups[index] if p != phrase)
                    found.append((i, end, others))
        return found
