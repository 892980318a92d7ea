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
    threshold: float = 0.5
    meaning: float | None = None  # the top sentence's cosine, where ranked by meaning too


@dataclass(frozen=True, slots=True)
class Answer:
    fact: Fact
    score: float
    span: tuple[int, int] | None = None  # character offsets into fact.text


@dataclass(frozen=True, slots=True)
class Result:
    question: str
    answer: Answer | None
    alternatives: tuple[Hit, ...] = ()
    explanation: Explanation = field(default_factory=Explanation)
    problem: str | None = None  # "empty", "too_long" or "no_words" when the question was unusable
