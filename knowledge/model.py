"""Plain records passed between the stages of the knowledge pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ArticleInput:
    """An article as read from a file, before it is stored."""

    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    source: str | None = None  # "path" or "path:line", for error messages


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    title: str
    date: str | None = None
    url: str | None = None
    facts: int = 0


@dataclass(frozen=True, slots=True)
class Fact:
    """One sentence of an article, verbatim."""

    id: int
    article: Article
    position: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    fact: Fact
    score: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why the matcher chose what it chose, in words a user can check."""

    matched: tuple[str, ...] = ()
    corrected: tuple[tuple[str, str], ...] = ()  # (typed, corrected)
    synonyms: tuple[tuple[str, str], ...] = ()  # (asked, used)
    missing: tuple[str, ...] = ()
    answer_type: str | None = None  # "person", "time", "number", "place" or None
    confidence: float = 0.0
    threshold: float | None = None  # the decision's (params.json); None: nothing decided
    meaning: float | None = None  # the top sentence's cosine, where ranked by meaning too


@dataclass(frozen=True, slots=True)
class Answer:
    fact: Fact
    score: float
    span: tuple[int, int] | None = None  # character offsets into fact.text


@dataclass(frozen=True, slots=True)
class Intent:
    """What a message that is no question asks for (`knowledge.smalltalk`)."""

    kind: str  # "small_talk", "out_of_scope" or "conversation"
    name: str  # "greeting", "time", "more", …


@dataclass(frozen=True, slots=True)
class Turn:
    """What a conversation keeps of its last answered question (`knowledge.dialogue`)."""

    question: str  # the question as looked up (a follow-up's, rewritten)
    words: tuple[str, ...]  # its content words, as typed
    names: tuple[str, ...]  # who or what the answer is about, the likeliest first
    article_id: int  # the answer's article (a declined question's: the closest sentence's)
    fact_id: int | None  # the answer (None when the question was declined)
    shown: tuple[int, ...] = ()  # sentences given before on the same subject ("ellers")

    @property
    def subject(self) -> str:
        """What the turn was about, in a few words: its main name, else its words."""
        return self.names[0] if self.names else " ".join(self.words)


@dataclass(frozen=True, slots=True)
class Passage:
    """An answer's sentence among its neighbours: its paragraph, in order."""

    facts: tuple[Fact, ...]
    focus: int  # the id of the answer's sentence


@dataclass(frozen=True, slots=True)
class Result:
    question: str
    answer: Answer | None
    alternatives: tuple[Hit, ...] = ()
    explanation: Explanation = field(default_factory=Explanation)
    problem: str | None = None  # "empty", "too_long" or "no_words" when the question was unusable
    intent: Intent | None = None  # small talk, out of scope, or "more": no article searched
    turn: Turn | None = None  # what a follow-up may lean on (answered, or naming a subject)
    about: str | None = None  # what the previous turn lent a follow-up ("Yoav Gallant")
    passage: Passage | None = None  # for "mere": the last answer among its neighbours
