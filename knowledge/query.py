"""Read a question: what kind of answer it wants and which words to look for.

Each content word becomes a `QueryWord` holding alternative index keys with a
weight: its own lemma and stem (1.0), a respelling with æ/ø/å, a typo
correction, compound parts and general synonyms (each worth a little less).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .lexicon import (
    answer_type,
    compound_parts,
    extra_lemmas,
    is_known,
    keys,
    lemma,
    rarity,
    respell,
    stopwords,
)
from .normalize import clean_question, fold, tokens
from .synonyms import Synonyms
from .view import IndexView

TYPO_WEIGHT = 0.9
SYNONYM_WEIGHT = 0.8
PART_WEIGHT = 0.6


@dataclass
class QueryWord:
    raw: str  # as typed, lower case
    base: str = ""  # the form looked up: respelt with æ/ø/å or corrected, else raw
    alternatives: dict[str, float] = field(default_factory=dict)  # key -> weight
    corrected: str | None = None
    synonyms: list[str] = field(default_factory=list)
    number: bool = False
    present: bool = False  # some key of it (or of a stand-in) is in the index
    position: int = 0  # index among all the question's words, stop words included
    minor: bool = False  # a given name before a surname: worth little on its own
    keyset: frozenset[str] = frozenset()  # the alternatives' keys, fixed once analysed
    capital: bool = False  # written with a capital letter (not first in the question)
    rarity: float = 0.0  # how rare its own keys are in Danish at large (`lexicon.rarity`)

    @property
    def named(self) -> bool:
        """A name or a number: a sentence without it is rarely about the same thing."""
        return self.number or self.capital or not is_known(self.base)

    def add(self, word_keys: tuple[str, ...], weight: float) -> None:
        for key in word_keys:
            if weight > self.alternatives.get(key, 0.0):
                self.alternatives[key] = weight


@dataclass
class Query:
    text: str  # the cleaned question
    kind: str | None  # answer type: person, time, number, place, reason, thing
    words: list[QueryWord]
    norms: list[str] = field(default_factory=list)  # every word of the question, folded
    # Each word's idf in the index it was last weighed against (`match.question_idfs`).
    weighed: tuple[object, list[float]] | None = field(default=None, repr=False, compare=False)

    def keys(self) -> set[str]:
        return {k for w in self.words for k in w.alternatives}

    def own_keys(self) -> set[str]:
        """The keys of the words as asked (or as corrected), without stand-ins."""
        return {
            k for w in self.words for k, weight in w.alternatives.items() if weight >= TYPO_WEIGHT
        }

    def match_keys(self, view: IndexView) -> list[str]:
        """The keys that may bring candidates in: own keys first, then stand-ins."""
        return view.match_keys(self.own_keys(), then=self.keys())


def analyse(question: str, view: IndexView, synonyms: Synonyms) -> Query:
    """Turn a question into weighted search keys, correcting what the index cannot know."""
    text = clean_question(question)
    toks = tokens(text)
    kind, used = answer_type([t.norm for t in toks])
    stop = stopwords()
    content = [(i, t) for i, t in enumerate(toks) if i not in used and t.norm not in stop]
    words = [_word(t.raw, view) for _, t in content]
    for word, (position, _) in zip(words, content, strict=True):
        word.position = position
    capital = [i > 0 and text[t.start].isupper() for i, t in enumerate(toks)]
    for word in words:
        word.capital = capital[word.position]
    _mark_given_names(words, capital)
    _add_synonyms(words, synonyms)
    table, unlisted = rarity()
    for word in words:
        word.present = _present(word, view)
        word.keyset = frozenset(word.alternatives)
        own = (k for k, weight in word.alternatives.items() if weight == 1.0)
        word.rarity = max((table.get(k, unlisted) for k in own), default=unlisted)
    return Query(text, kind, words, [t.norm for t in toks])


def _mark_given_names(words: list[QueryWord], capital: list[bool]) -> None:
    """In a written full name ("Yoav Gallant") the given name counts for little.

    A sentence that names the person by surname answers as well as one with the full
    name, so the given name must not weigh as a second word to cover.
    """
    for prev, word in itertools.pairwise(words):
        if (
            word.position == prev.position + 1
            and prev.position > 0
            and capital[prev.position]
            and capital[word.position]
            and not word.number
            and not prev.number
            and not is_known(word.raw)
            and not is_known(prev.raw)
        ):
            prev.minor = True


def _word(raw: str, view: IndexView) -> QueryWord:
    word = QueryWord(raw, base=raw, number=raw[0].isdigit())
    word.add(keys(raw), 1.0)
    if word.number or _present(word, view):
        return word
    spellings = respell(raw)
    for spelled in spellings:
        word.add(keys(spelled), 1.0)
    if spellings:
        word.base = spellings[0]
    if _present(word, view):
        return word
    if not spellings and not is_known(raw):
        fixed = view.correct(fold(raw))
        if fixed is not None:
            word.corrected = word.base = fixed[0]
            word.add(keys(fixed[0]), TYPO_WEIGHT)
    word.add(compound_parts(word.base), PART_WEIGHT)
    return word


def _present(word: QueryWord, view: IndexView) -> bool:
    return any(view.df(k) for k in word.alternatives)


def _add_synonyms(words: list[QueryWord], synonyms: Synonyms) -> None:
    """Give each word (or phrase) the keys of its synonyms, at a lower weight."""
    readings = [(lemma(w.base), *extra_lemmas().get(w.base, ())) for w in words]
    for start, end, others in synonyms.find(readings):
        target = words[start]
        for phrase in others:
            for part in phrase:
                if fold(part) not in stopwords():
                    target.add(keys(part), SYNONYM_WEIGHT)
            target.synonyms.append(" ".join(phrase))
        for extra in words[start + 1 : end]:
            # The phrase's later words are covered through its first word.
            extra.alternatives.update(dict.fromkeys(target.alternatives, SYNONYM_WEIGHT))
