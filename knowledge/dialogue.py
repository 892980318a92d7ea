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
from .model import Answer, Turn
from .normalize import Token, clean_question, fold, tokens
from .query import Query
from .spans import is_country, names

FOLLOW_UP_SECONDS = 600.0  # how long a conversation remembers its last answer
MEMORY_SIZE = 10_000  # conversations remembered at once (the least recent are forgotten)
MAX_SUBJECT = 4  # words after "hvad med" that can be a new subject
_CAPITAL = re.compile(r"[A-ZÆØÅ]")


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A question rewritten with what the previous turn lends it."""

    question: str  # what to look up
    about: str  # what the context lent, to tell the user ("Yoav Gallant")
    sure: bool  # it cannot stand alone; otherwise it is asked alone first
    exclude: int | None = None  # a sentence not to give again ("hvad ellers?")
    own: str | None = None  # its own words, tried in the previous article before `question`


@dataclass(frozen=True)
class _Cues:
    person: frozenset[str]
    thing: frozenset[str]
    again: tuple[tuple[str, ...], ...]  # longest first
    more: frozenset[tuple[str, ...]]  # "hvad ellers"
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
    people = [n for n in dict.fromkeys(found) if not is_country(n)]
    places = [n for n in dict.fromkeys(found) if is_country(n)]
    return Turn(
        question=query.text,
        words=tuple(w.raw for w in query.words),
        names=tuple(people + places),
        article_id=fact.article.id,
        fact_id=fact.id,
    )


def follow_up(text: str, turn: Turn) -> FollowUp | None:
    """The question `text` rewritten to stand alone, if it leans on `turn`; else None."""
    c = cues()
    clean = clean_question(text)
    toks = tokens(clean)
    norms = tuple(t.norm for t in toks)
    # "hvad ellers?": another fact about the same subject.
    if _without_lead(norms, c) in c.more:
        return FollowUp(turn.question, turn.subject, sure=True, exclude=turn.fact_id)
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
    if not toks or _named(clean, toks):
        return None  # nothing asked, or it names its own subject
    content = _content(toks)
    # "Hvem skal han mødes med?": the pronoun stands for the answer's person.
    if any(t.norm in c.person for t in toks) and turn.names:
        return FollowUp(_replace_pronouns(clean, toks, turn.names[0]), turn.names[0], sure=True)
    # "og hvornår?", "hvornår åbner den?", "hvor mange døde?": the previous subject lends
    # its words. A pronoun with one word or none beside it cannot stand alone; a question
    # word with one other word may (it is looked up alone first); a bare word is a search.
    weak = any(t.norm in c.thing for t in toks)
    if not (led or _asks(toks) or weak):
        return None
    if len(content) <= 1 or (weak and len(content) <= 2):
        body = clean[toks[0].start :].rstrip(" ?!.")
        lent = " ".join([*turn.names[:1], *turn.words])
        sure = not content or (weak and len(content) <= 1)
        own = f"{body}?" if content else None
        return FollowUp(f"{body} {lent}?", turn.subject, sure=sure, own=own)
    return None


def _named(text: str, toks: list[Token]) -> bool:
    """Whether a question names someone or something: a capital after its first word, or
    a first word that is no ordinary Danish word ("Kirby?")."""
    if any(_CAPITAL.match(text[t.start]) for t in toks[1:]):
        return True
    first = toks[0]
    return bool(_CAPITAL.match(text[first.start])) and not is_known(first.raw)


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
