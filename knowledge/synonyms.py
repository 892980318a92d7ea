"""General Danish synonyms, read from data files.

A group is a set of words and phrases that may stand for each other
("dræbe, slå ihjel, omkomme"). Lookup is by folded lemma, so any inflected
form of a member finds its group.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .lexicon import DATA, lemma, read_lines, stopwords
from .normalize import tokens

Phrase = tuple[str, ...]  # lower-case lemmas of a member's words


def phrase_of(text: str) -> Phrase:
    """A member's content words as lemmas: questions are matched without their stop words."""
    return tuple(lemma(t.raw) for t in tokens(text) if t.norm not in stopwords())


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

    def find(
        self, readings: Sequence[str | tuple[str, ...]]
    ) -> list[tuple[int, int, tuple[Phrase, ...]]]:
        """(start, end, other members) for each member phrase found in a sentence.

        `readings` holds each word's lemma, or a tuple of its possible lemmas, so an
        ambiguous form ("talt") finds the groups of all its readings.
        """
        readings = [(r,) if isinstance(r, str) else r for r in readings]
        found = []
        for i, firsts in enumerate(readings):
            for first in firsts:
                for phrase, index in self._by_first.get(first, ()):
                    end = i + len(phrase)
                    if end <= len(readings) and all(
                        p in readings[i + j] for j, p in enumerate(phrase)
                    ):
                        others = tuple(p for p in self.groups[index] if p != phrase)
                        found.append((i, end, others))
        return found
