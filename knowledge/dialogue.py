"""Follow-up questions: "Hvem skal han mødes med?" after "Hvem er Israels forsvarsminister?".

A conversation keeps its last answered question as a `Turn`. A new question that leans on
it (a pronoun for the answer's person, a question word with little else, "hvad med X?",
"hvad ellers?") is rewritten to stand alone, and looked up in the previous answer's
article first. A question that names its own subject is left as it is. The words that
make a question lean are data (`data/follow_ups.txt`).
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cache

from .lexicon import DATA, answer_type, is_known, read_lines, stopwords
from .model import Answer, Fact, Turn
from .normalize import Token, clean_question, fold, tokens
from .query import Query
from .spans import is_country, names

FOLLOW_UP_SECONDS = 600.0  # how long a conversation remembers its last answer
MEMORY_SIZE = 10_000  # conversations remembered at once (the least recent are forgotten)
MAX_SUBJECT = 4  # words after "hvad med" that can be a new subject
_CAPITAL = re.compile(r"[A-ZÆØÅ]")
_DETERMINERS = frozenset({"denne", "dette", "disse"})  # before a word, always its article
_POSSESSIVES = frozenset({"dens", "dets", "deres"})


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A question rewritten with what the previous turn lends it."""

    question: str  # what to look up
    about: str  # what the context lent, to tell the user ("Yoav Gallant")
    sure: bool  # it cannot stand alone; otherwise it is asked alone first
    exclude: tuple[int, ...] = ()  # sentences not to give again
    besides: bool = False  # "hvad ellers?": any other sentence on the same subject will do
    own: str | None = None  # its own words, tried in the previous article before `question`


@dataclass(frozen=True)
class _Cues:
    person: frozenset[str]
    thing: frozenset[str]
    again: tuple[tuple[str, ...], ...]  # longest first
    more: frozenset[tuple[str, ...]]  # "hvad ellers"
    besides: frozenset[str]  # "ellers" in a longer question
    lead: frozenset[str]


@cache
def cues() -> _Cues:
    """The bundled follow-up words, read once."""
    sections: dict[str, list[tuple[str, ...]]] = {}
    current: list[tuple[str, ...]] = []
    for line in read_lines(DATA / "follow_ups.txt"):
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        else:
            current.append(tuple(fold(w) for w in line.split()))
    flat = {name: frozenset(p[0] for p in phrases) for name, phrases in sections.items()}
    return _Cues(
        person=flat["person"],
        thing=flat["thing"],
        again=tuple(sorted(sections["again"], key=len, reverse=True)),
        more=frozenset(sections["else"]),
        besides=flat["besides"],
        lead=flat["lead"],
    )


def turn_of(query: Query, answer: Answer, *, about_someone: bool) -> Turn:
    """The turn an answered question leaves: its words and the names it was about.

    The names, likeliest first: the answer's name when a person was asked for ("Hvem er
    Israels forsvarsminister?" is about Yoav Gallant), the people the question named, then
    those in the answer sentence. Countries and places come last.
    """
    fact = answer.fact
    found: list[str] = []
    if query.kind == "person" and answer.span and not about_someone:
        found.append(fact.text[answer.span[0] : answer.span[1]])
    found += _question_names(query.text)
    found += [fact.text[s:e] for s, e in names(fact.text)]
    return _turn(query, found, fact.article.id, fact.id)


def declined_turn(query: Query, closest: Fact) -> Turn | None:
    """The turn a declined question leaves when it names its subject: "Hvornår døde
    Nikola Tesla?" unanswered still tells whom "hvor blev han født?" is about. Its article
    is the closest sentence's; there is no answer to show more of."""
    found = _question_names(query.text)
    return _turn(query, found, closest.article.id, None) if found else None


def _turn(query: Query, found: list[str], article_id: int, fact_id: int | None) -> Turn:
    stop = stopwords()
    found = [n for n in found if fold(n) not in stop]  # a sentence's first "De" is no name
    people = [n for n in dict.fromkeys(found) if not is_country(n)]
    places = [n for n in dict.fromkeys(found) if is_country(n)]
    return Turn(
        question=query.text,
        words=tuple(w.raw for w in query.words),
        names=tuple(people + places),
        article_id=article_id,
        fact_id=fact_id,
    )


def follow_up(text: str, turn: Turn) -> FollowUp | None:
    """The question `text` rewritten to stand alone, if it leans on `turn`; else None."""
    c = cues()
    clean = clean_question(text)
    toks = tokens(clean)
    norms = tuple(t.norm for t in toks)
    # "hvad ellers?": another fact about the same subject.
    if _without_lead(norms, c) in c.more:
        return FollowUp(turn.question, turn.subject, sure=True, exclude=_given(turn), besides=True)
    besides = _besides(clean, toks, turn)
    if besides is not None:
        return besides
    # "hvad med Austin?": the previous question again, about someone else.
    for phrase in c.again:
        rest = toks[len(phrase) :]
        if norms[: len(phrase)] == phrase and 0 < len(rest) <= MAX_SUBJECT:
            if _asks(rest) or not _content(rest):
                continue
            subject = clean[rest[0].start : rest[-1].end]
            return FollowUp(_swap(turn, subject), subject, sure=True)
    led = False
    while toks and toks[0].norm in c.lead:
        toks, led = toks[1:], True
    if not toks:
        return None
    content = _content(toks)
    # "Hvem skal han mødes med?", "og hvad siger han om USA?": the pronoun stands for the
    # answer's person, unless a name before it is its person ("Hvad sagde Kirby om ham?").
    person = next((i for i, t in enumerate(toks) if t.norm in c.person), None)
    if person is not None and turn.names and not _named(clean, toks[: person + 1]):
        return FollowUp(_replace_pronouns(clean, toks, turn.names[0]), turn.names[0], sure=True)
    if _named(clean, toks):
        return None  # it names its own subject
    # "og hvornår?", "hvornår åbner den?", "hvor mange døde?": the previous subject lends
    # its words. A pronoun with one word or none beside it cannot stand alone; a question
    # word with one other word may (it is looked up alone first); a bare word is a search.
    weak = _points_back(toks, c.thing)
    if not (led or _asks(toks) or weak):
        return None
    if len(content) <= 1 or (weak and len(content) <= 2):
        body = clean[toks[0].start :].rstrip(" ?!.")
        lent = " ".join([*turn.names[:1], *turn.words])
        sure = not content or (weak and len(content) <= 1)
        own = f"{body}?" if content else None
        return FollowUp(f"{body} {lent}?", turn.subject, sure=sure, own=own)
    return None


def _besides(text: str, toks: list[Token], turn: Turn) -> FollowUp | None:
    """ "hvad ved du ellers om ham?": the question without "ellers", about the previous
    subject, for another sentence than the last answer. Only a short question that names
    no one new."""
    c = cues()
    if not any(t.norm in c.besides for t in toks):
        return None
    kept = [t for t in toks if t.norm not in c.besides and t.norm not in c.lead]
    known = " ".join(turn.names)
    if any(name not in known for name in _question_names(text)):
        return None  # someone new: not the same subject
    own = [t for t in _content(kept) if fold(t.raw) not in fold(known)]
    if len(own) > 2:
        return None
    subject = turn.names[0] if turn.names else " ".join(turn.words)
    words = []
    for tok in kept:
        words.append(subject if tok.norm in c.person else text[tok.start : tok.end])
    body = " ".join(words)
    if subject not in body:
        body = f"{body} {subject}"
    return FollowUp(f"{body}?", turn.subject, sure=True, exclude=_given(turn), besides=True)


def _given(turn: Turn) -> tuple[int, ...]:
    """The sentences already given on the turn's subject: its answer and any "ellers"."""
    return (*turn.shown, *([turn.fact_id] if turn.fact_id is not None else []))


def _points_back(toks: list[Token], pronouns: frozenset[str]) -> bool:
    """Whether a "den", "det" or "de" stands for something ("hvornår åbner den?", "hvor
    meget lander det?") rather than going with a noun ("den amerikanske forsvarsminister",
    "det kongerige", "denne proklamation").

    Danish puts an adjective's -e form or the noun itself after the article; a word in -e
    after "den/det/de", and any word after "denne/dette/disse", is read as such."""
    stop = stopwords()
    for i, tok in enumerate(toks):
        if tok.norm not in pronouns:
            continue
        if tok.norm in _POSSESSIVES:
            return True  # "dens befolkning": its, whatever follows
        after = toks[i + 1].norm if i + 1 < len(toks) else None
        if after is None or after in stop:
            return True
        if tok.norm not in _DETERMINERS and not after.endswith("e"):
            return True
    return False


def _named(text: str, toks: list[Token]) -> bool:
    """Whether these words of a question name someone or something: a capital after the
    question's first word, or a first word that is no ordinary Danish word ("Kirby?")."""
    if any(_CAPITAL.match(text[t.start]) for t in toks if t.start > 0):
        return True
    first = toks[0]
    return first.start == 0 and bool(_CAPITAL.match(text[0])) and not is_known(first.raw)


def _without_lead(norms: tuple[str, ...], c: _Cues) -> tuple[str, ...]:
    while norms and norms[0] in c.lead:
        norms = norms[1:]
    return norms


def _content(toks: list[Token]) -> list[Token]:
    """The tokens that are neither function words nor question words."""
    _, used = answer_type([t.norm for t in toks])
    stop = stopwords()
    return [t for i, t in enumerate(toks) if i not in used and t.norm not in stop]


def _asks(toks: list[Token]) -> bool:
    """Whether these words hold a question word ("og hvornår": no new subject)."""
    kind, used = answer_type([t.norm for t in toks])
    return bool(used) or kind is not None


def _question_names(text: str) -> list[str]:
    """Runs of capitalised words after the first word: the names a question gives."""
    out: list[str] = []
    run: list[Token] = []
    for i, tok in enumerate(tokens(text)):
        if i > 0 and _CAPITAL.match(text[tok.start]):
            if run and text[run[-1].end : tok.start].strip():
                out.append(text[run[0].start : run[-1].end])
                run = []
            run.append(tok)
        elif run:
            out.append(text[run[0].start : run[-1].end])
            run = []
    if run:
        out.append(text[run[0].start : run[-1].end])
    return out


def _swap(turn: Turn, subject: str) -> str:
    """The previous question with its subject (its first name, else its first content word)
    replaced by a new one."""
    question = turn.question
    old = _question_names(question)
    if not old:
        toks = tokens(question)
        content = _content(toks)
        if not content:
            return f"{question.rstrip(' ?')} {subject}?"
        first = content[0]
        return question[: first.start] + subject + question[first.end :]
    start = question.index(old[0])
    return question[:start] + subject + question[start + len(old[0]) :]


def _replace_pronouns(text: str, toks: list[Token], name: str) -> str:
    """The question with each pronoun for a person replaced by the name ("hans" by the
    name's genitive)."""
    person = cues().person
    out, last = [], 0
    for tok in toks:
        if tok.norm in person:
            out.append(text[last : tok.start])
            genitive = tok.norm in ("hans", "hendes")
            out.append(f"{name}s" if genitive and not name.endswith("s") else name)
            last = tok.end
    out.append(text[last:])
    return "".join(out)


class Memory:
    """The last turn of each conversation, forgotten after `seconds`.

    A conversation is whatever key the caller gives: a private chat, or one user in a group.
    """

    def __init__(
        self,
        seconds: float = FOLLOW_UP_SECONDS,
        *,
        size: int = MEMORY_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds, self.size, self.clock = seconds, size, clock
        self._turns: OrderedDict[Hashable, tuple[float, Turn]] = OrderedDict()

    def recall(self, key: Hashable) -> Turn | None:
        kept = self._turns.get(key)
        if kept is None:
            return None
        at, turn = kept
        if self.clock() - at >= self.seconds:
            del self._turns[key]
            return None
        return turn

    def remember(self, key: Hashable, turn: Turn) -> None:
        self._turns[key] = (self.clock(), turn)
        self._turns.move_to_end(key)
        while len(self._turns) > self.size:
            self._turns.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        self._turns.pop(key, None)
