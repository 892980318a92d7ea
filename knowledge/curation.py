"""Where the bot fails, from the curator's log: what `faktabot report` shows.

Unanswered questions are grouped by meaning-ish similarity, so "hvem er talsmand for
pentagon" and "hvem er pentagons talsmand" count as one need: both reduce to the folded
lemmas of their content words, compared in sorted order with rapidfuzz.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz

from .feedback import stamp, utc_now
from .lexicon import keys, stopwords
from .normalize import clean_question, normalize_text, tokens
from .store import Store

GROUP_CUTOFF = 85.0  # token_sort_ratio at or above which two questions are one group
_AMOUNT = frozenset({"mange", "meget", "laenge", "lang", "gammel", "stor"})  # "hvor mange" …


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """Unanswered questions that ask for the same thing."""

    question: str  # the most asked wording
    count: int
    variants: tuple[str, ...]  # other wordings, most asked first
    alternatives: tuple[int, ...] = ()  # fact ids the bot offered most often


@dataclass(frozen=True, slots=True)
class FactVotes:
    fact_id: int
    down: int
    up: int
    text: str | None  # None when the fact has since been removed
    article: str | None
    question: str  # the latest question answered with this fact that got a 👎


@dataclass(frozen=True, slots=True)
class DayRate:
    day: str  # YYYY-MM-DD (UTC)
    asked: int
    answered: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


@dataclass(frozen=True, slots=True)
class CurationReport:
    since: str
    until: str
    asked: int
    answered: int
    up: int
    down: int
    unanswered: tuple[QuestionGroup, ...] = ()
    downvoted: tuple[FactVotes, ...] = ()
    days: tuple[DayRate, ...] = field(default_factory=tuple)

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


Key = tuple[str, str]  # (question words, folded lemmas of the content words)


def question_key(question: str) -> Key:
    """What a question asks for: its question words ("hvem", "hvor mange") and content words.

    Danish puts the question word first (perhaps after "og" or "men"), and every Danish
    question word starts with "hv".
    """
    toks = tokens(clean_question(question))
    asks = " ".join(t.norm for t in toks[:4] if t.norm.startswith("hv") or t.norm in _AMOUNT)
    stop = stopwords()
    words = [keys(t.raw)[0] for t in toks if t.norm not in stop]
    return asks, " ".join(words) or normalize_text(question)


def similar(a: str, b: str, cutoff: float = GROUP_CUTOFF) -> bool:
    """Whether two questions ask for the same thing (same answer type, same words)."""
    return _same(question_key(a), question_key(b), cutoff)


def _same(a: Key, b: Key, cutoff: float) -> bool:
    return a[0] == b[0] and fuzz.token_sort_ratio(a[1], b[1]) >= cutoff


def group_questions(
    questions: Iterable[str], cutoff: float = GROUP_CUTOFF
) -> list[tuple[list[str], Counter[str]]]:
    """Greedy clusters of questions, biggest first: (wordings by count, their counts).

    Each question joins the first group whose most asked wording is similar enough; the
    most asked wordings are placed first, so they become the groups' representatives.
    """
    counts = Counter(" ".join(q.split()) for q in questions if q.strip())
    # Spellings that differ only in case, accents or punctuation are one wording.
    wordings: dict[str, Counter[str]] = {}
    for text, n in counts.items():
        wordings.setdefault(normalize_text(text), Counter())[text] += n
    ordered = sorted(wordings.values(), key=lambda c: (-c.total(), min(c)))
    groups: list[tuple[Key, Counter[str]]] = []
    for wording in ordered:
        key = question_key(wording.most_common(1)[0][0])
        for g_key, members in groups:
            if _same(key, g_key, cutoff):
                members.update(wording)
                break
        else:
            groups.append((key, Counter(wording)))
    out = [(_distinct_wordings(members), members) for _, members in groups]
    out.sort(key=lambda g: (-g[1].total(), g[0][0]))
    return out


def _distinct_wordings(members: Counter[str]) -> list[str]:
    """The group's wordings, most asked first, one per spelling up to case and punctuation."""
    seen: dict[str, str] = {}
    for text, _ in members.most_common():
        seen.setdefault(normalize_text(text), text)
    return list(seen.values())


def build_report(
    store: Store, *, days: int = 30, top: int = 10, now: datetime | None = None
) -> CurationReport:
    """The last `days` days of the log, summarised for an operator."""
    now = now or utc_now()
    start = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = stamp(start), stamp(now)
    one = store.db.execute
    asked, answered = one(
        "SELECT count(*), count(fact_id) FROM asked WHERE at >= ?", [since]
    ).fetchone()
    up, down = one(
        "SELECT coalesce(sum(vote > 0), 0), coalesce(sum(vote < 0), 0) FROM votes WHERE at >= ?",
        [since],
    ).fetchone()
    return CurationReport(
        since=since,
        until=until,
        asked=asked,
        answered=answered,
        up=up,
        down=down,
        unanswered=tuple(_unanswered(store, since, top)),
        downvoted=tuple(_downvoted(store, since, top)),
        days=tuple(_days(store, start, now)),
    )


def _unanswered(store: Store, since: str, top: int) -> list[QuestionGroup]:
    rows = store.db.execute(
        "SELECT question, alternatives FROM asked WHERE fact_id IS NULL AND at >= ?", [since]
    ).fetchall()
    offered: dict[str, Counter[int]] = {}
    for question, alternatives in rows:
        offered.setdefault(" ".join(question.split()), Counter()).update(json.loads(alternatives))
    groups = []
    for wordings, counts in group_questions(q for q, _ in rows)[:top]:
        facts: Counter[int] = Counter()
        for wording in counts:
            facts.update(offered.get(wording, Counter()))
        groups.append(
            QuestionGroup(
                question=wordings[0],
                count=counts.total(),
                variants=tuple(wordings[1:]),
                alternatives=tuple(f for f, _ in facts.most_common(3)),
            )
        )
    return groups


def _downvoted(store: Store, since: str, top: int) -> list[FactVotes]:
    rows = store.db.execute(
        "SELECT a.fact_id, sum(v.vote < 0) AS down, sum(v.vote > 0) AS up,"
        " (SELECT a2.question FROM asked a2 JOIN votes v2 ON v2.asked_id = a2.id"
        "  WHERE a2.fact_id = a.fact_id AND v2.vote < 0 ORDER BY v2.at DESC LIMIT 1)"
        " FROM votes v JOIN asked a ON a.id = v.asked_id"
        " WHERE v.at >= ? AND a.fact_id IS NOT NULL"
        " GROUP BY a.fact_id HAVING down > 0 ORDER BY down DESC, up, a.fact_id LIMIT ?",
        [since, top],
    ).fetchall()
    facts = store.facts(row[0] for row in rows)
    out = []
    for fact_id, down, up, question in rows:
        fact = facts.get(fact_id)
        out.append(
            FactVotes(
                fact_id=fact_id,
                down=down,
                up=up,
                text=fact.text if fact else None,
                article=fact.article.title if fact else None,
                question=question or "",
            )
        )
    return out


def _days(store: Store, start: datetime, now: datetime) -> list[DayRate]:
    counts = {
        day: (asked, answered)
        for day, asked, answered in store.db.execute(
            "SELECT substr(at, 1, 10), count(*), count(fact_id) FROM asked"
            " WHERE at >= ? GROUP BY 1",
            [stamp(start)],
        )
    }
    out = []
    day = start
    while day.date() <= now.date():
        key = day.strftime("%Y-%m-%d")
        asked, answered = counts.get(key, (0, 0))
        out.append(DayRate(key, asked, answered))
        day += timedelta(days=1)
    return out
