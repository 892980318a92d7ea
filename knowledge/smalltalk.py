"""Tell small talk from questions: "hej", "tak", "hvad er klokken?" ask nothing of the
articles, and searching them for it only finds a sentence that says "klokken 14.30".

The phrasings are data (`data/smalltalk.txt`). A message is small talk when it is made
of whole phrasings, one after another: a question that merely opens with "hej" is still
a question. Matching is by words, so a typo is forgiven only in a longer word, and a
short word ("du" against "de") must be exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from rapidfuzz.distance import OSA

from .lexicon import question_phrases, stopwords
from .model import Intent
from .normalize import clean_question, fold, tokens

DATA = resources.files(__package__) / "data"
NUMBER = "{n}"
STAR = "*"
MAX_TAIL = 8  # words a phrasing ending in "*" takes after it
MAX_WORDS = 24  # longer messages are never small talk
MAX_CUED = 10  # longest message taken for small talk by a cue alone
CUE = "~"

SMALL_TALK, OUT_OF_SCOPE, CONVERSATION = "small_talk", "out_of_scope", "conversation"
MORE = "more"  # the conversation intent that asks for the last answer's neighbours

# Arithmetic is typed with symbols the word splitter drops; these spell them out.
_SYMBOLS = (
    (re.compile(r"(?<=\d)\s*[x×*·]\s*(?=\d)"), " gange "),
    (re.compile(r"(?<=\d)\s*\+\s*(?=\d)"), " plus "),
    (re.compile(r"(?<=\d)\s*[-−]\s*(?=\d)"), " minus "),
    (re.compile(r"(?<=\d)\s*[/÷]\s*(?=\d)"), " delt med "),  # not ":" (31:5 is a verse)
    (re.compile(r"\s*\^\s*2\b"), " i anden "),
    (re.compile(r"\s*%"), " procent "),
)
# Formal address, capitalised inside a sentence ("Kan De hjælpe mig?"); "de" is "they".
_FORMAL = {"De": "du", "Dem": "dig", "Deres": "din"}
_REPEATS = re.compile(r"(\w)\1{2,}")  # "heeej" is "hej"
_SKELETON = str.maketrans({"æ": "a", "ø": "o", "å": "a"})


@dataclass(frozen=True, slots=True)
class _Phrasing:
    words: tuple[str, ...]  # folded, with NUMBER and at most one STAR among them
    intent: Intent


class Phrasebook:
    """The phrasings and cues of every intent, and the matching of a message against them."""

    def __init__(self, sections: dict[Intent, list[str]], fillers: frozenset[str]) -> None:
        self.fillers = frozenset(_skeleton(w) for w in fillers)
        self.phrasings: list[_Phrasing] = []
        self.cues: list[tuple[tuple[str, ...], Intent]] = []  # later sections win
        for intent, lines in sections.items():
            for line in lines:
                if line.startswith(CUE):
                    words = self._words(line.removeprefix(CUE).replace("_", " "))
                    if words:
                        self.cues.append((words, intent))
                    continue
                words = self._words(line)
                if self._usable(line, words):
                    self.phrasings.append(_Phrasing(words, intent))
        # Phrasings by their first word: each position of a message tries only those whose
        # first word its word can be.
        self._by_first: dict[str, list[_Phrasing]] = {}
        for phrasing in self.phrasings:
            self._by_first.setdefault(phrasing.words[0], []).append(phrasing)
        # The words small talk is made of: a cued message may hold nothing else.
        asking = {_skeleton(w) for phrase, _, _ in question_phrases() for w in phrase}
        self.vocabulary = frozenset(
            {w for p in self.phrasings for w in p.words if w != STAR}
            | {_skeleton(w) for w in stopwords()}
            | asking
        )

    @classmethod
    def load(cls, path: Path | resources.abc.Traversable | None = None) -> Phrasebook:
        return cls(*parse(path or DATA / "smalltalk.txt"))

    def _words(self, text: str) -> tuple[str, ...]:
        out = []
        for part in text.split():
            if part in (NUMBER, STAR):
                out.append(part)
                continue
            out.extend(_skeleton(t.norm) for t in tokens(part))
        return tuple(w for w in out if w not in self.fillers)

    def _usable(self, line: str, words: tuple[str, ...]) -> bool:
        """Whether a phrasing still says something once its fillers are gone: "hvad er
        faktabot" without "faktabot" would take every question that opens "hvad er"."""
        if not words or words == (STAR,):
            return False
        if len(words) == len(line.split()):
            return True
        ordinary = {_skeleton(w) for w in stopwords()} | {STAR}
        return not all(w in ordinary for w in words)

    def words_of(self, message: str) -> tuple[str, ...]:
        """A message as the phrasings are written: folded, numbers as {n}, fillers dropped."""
        text = clean_question(message)
        for pattern, word in _SYMBOLS:
            text = pattern.sub(word, text)
        out = []
        for token in tokens(text):
            if token.norm[:1].isdigit():
                out.append(NUMBER)
            elif token.start > 0 and text[token.start : token.end] in _FORMAL:
                out.append(_FORMAL[text[token.start : token.end]])  # "Kan De …": "kan du"
            else:
                word = _skeleton(_REPEATS.sub(r"\1", token.norm))
                if word not in self.fillers:
                    out.append(word)
        return tuple(out)

    def intent(self, message: str) -> Intent | None:
        """The intent of a message made only of phrasings, or None for anything else.

        Of several phrasings in a row the first that is not a greeting names the intent:
        "hej, hvad er klokken?" asks the time.
        """
        words = self.words_of(message)
        if not words or len(words) > MAX_WORDS:
            return None
        path = self._segment(words)
        if path is not None:
            return next((i for i in path if i.name != "greeting"), path[0])
        return self._cued(words)

    def _cued(self, words: tuple[str, ...]) -> Intent | None:
        """The intent of the last section whose cue a short message holds, when every other
        word of it is one small talk uses ("tusind tak for det hurtige svar")."""
        if len(words) > MAX_CUED:
            return None
        # Most questions hold a word small talk never uses and no cue can be: done.
        for i, word in enumerate(words):
            if word in self.vocabulary or word == NUMBER:
                continue
            if not any(_cue_at(words, i - len(c) + 1, c) for c, _ in self.cues if len(c) <= i + 1):
                return None
        found: Intent | None = None
        cued: set[int] = set()
        for cue, intent in self.cues:
            for start in range(len(words) - len(cue) + 1):
                if _cue_at(words, start, cue):
                    found = intent
                    cued.update(range(start, start + len(cue)))
                    break
        if found is None:
            return None
        for i, word in enumerate(words):
            if i in cued or word in self.vocabulary:
                continue
            if word != NUMBER or found.name != "arithmetic":
                return None
        return found

    def _segment(self, words: tuple[str, ...]) -> list[Intent] | None:
        """Intents of a split of `words` into whole phrasings (the last may end in "*")."""
        n = len(words)
        paths: list[list[Intent] | None] = [None] * (n + 1)
        paths[0] = []
        for start in range(n):
            path = paths[start]
            if path is None:
                continue
            for phrasing in self._starting(words[start]):
                for end in _ends(words, start, phrasing.words):
                    if paths[end] is None:
                        paths[end] = [*path, phrasing.intent]
        return paths[n]

    def _starting(self, word: str) -> Iterator[_Phrasing]:
        """The phrasings whose first word `word` can be (as written, or with a typo)."""
        for first, phrasings in self._by_first.items():
            if _word_matches(word, first):
                yield from phrasings


def parse(
    path: Path | resources.abc.Traversable,
) -> tuple[dict[Intent, list[str]], frozenset[str]]:
    """The sections of a phrasings file, and its filler words."""
    sections: dict[Intent, list[str]] = {}
    fillers: set[str] = set()
    current: list[str] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            head = line.strip("[]").split()
            if head == ["filler"]:
                current = None
                continue
            if len(head) != 2 or head[0] not in (SMALL_TALK, OUT_OF_SCOPE, CONVERSATION):
                raise ValueError(f"{path}:{number}: expected [kind intent], got {line}")
            current = sections.setdefault(Intent(head[0], head[1]), [])
        elif current is None:
            fillers.add(fold(line))
        else:
            current.append(line)
    return sections, frozenset(fillers)


def _skeleton(word: str) -> str:
    """A folded word with æ/ø/å and their spellings ae/oe/aa as plain vowels, so "gar",
    "gaar" and "går" are one word."""
    return word.translate(_SKELETON).replace("aa", "a").replace("ae", "a").replace("oe", "o")


def _ends(words: tuple[str, ...], start: int, phrasing: tuple[str, ...]) -> list[int]:
    """Where a phrasing that begins at `start` can end: a "*" takes one to MAX_TAIL words,
    and a phrasing ending in one takes the rest of the message."""
    # A star takes any words, so the words around it must be what they say, but for two
    # letters swapped ("skirv"): "et" is not "ret", nor "skrev" "skriv".
    return _ends_from(words, start, phrasing, loose=STAR not in phrasing)


def _ends_from(
    words: tuple[str, ...], start: int, phrasing: tuple[str, ...], *, loose: bool
) -> list[int]:
    if not phrasing:
        return [start]
    if phrasing[0] == STAR:
        rest, left = phrasing[1:], len(words) - start
        if not rest:
            return [len(words)] if 0 < left <= MAX_TAIL else []
        out: list[int] = []
        for gap in range(1, min(MAX_TAIL, left - len(rest)) + 1):
            out += _ends_from(words, start + gap, rest, loose=loose)
        return out
    cut = phrasing.index(STAR) if STAR in phrasing else len(phrasing)
    end = start + cut
    if end > len(words) or not _same(words[start:end], phrasing[:cut], loose=loose):
        return []
    return _ends_from(words, end, phrasing[cut:], loose=loose)


def _cue_at(words: tuple[str, ...], start: int, cue: tuple[str, ...]) -> bool:
    """Whether the cue's words stand at `start`, its last word as the start of a word
    (a cue of four letters or more; shorter cues only as whole words)."""
    *whole, last = cue
    end = start + len(whole)
    if words[start:end] != tuple(whole):
        return False
    word = words[end]
    loose = len(last) >= 5  # "dit" is not "digt"
    return _word_matches(word, last, loose=loose) or (len(last) >= 4 and word.startswith(last))


def _same(words: tuple[str, ...], phrasing: tuple[str, ...], *, loose: bool = True) -> bool:
    return all(_word_matches(w, p, loose=loose) for w, p in zip(words, phrasing, strict=True))


def _word_matches(word: str, wanted: str, *, loose: bool = True) -> bool:
    """Whether `word` is `wanted`, allowing a typo; only two letters swapped unless `loose`."""
    if word == wanted:
        return True
    if wanted == NUMBER or word == NUMBER or len(wanted) < 3:
        return False
    if not loose:
        return sorted(word) == sorted(wanted) and OSA.distance(word, wanted) == 1
    if len(wanted) < 5:  # "tka", "hvd", "hejj": a letter swapped, missing or doubled
        changed = len(word) != len(wanted) or sorted(word) == sorted(wanted)
        return changed and OSA.distance(word, wanted, score_cutoff=1) <= 1
    allowed = 2 if len(wanted) >= 9 else 1
    return OSA.distance(word, wanted, score_cutoff=allowed) <= allowed


@cache
def phrasebook() -> Phrasebook:
    """The bundled phrasings, read once."""
    return Phrasebook.load()
