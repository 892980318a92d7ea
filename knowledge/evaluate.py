"""Score the bot on a question file in the format of `dev_questions.tsv`.

Columns: kind <TAB> question <TAB> accepted answers ("|"-separated substrings of
the right sentence, or "-" when the bot must decline).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import QuestionFileError
from .model import Result

DECLINE_KINDS = ("offtopic", "near")


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    question: str
    accepted: tuple[str, ...]  # empty: must decline
    line: int


@dataclass
class Outcome:
    case: Case
    result: Result

    @property
    def ok(self) -> bool:
        answer = self.result.answer
        if not self.case.accepted:
            return answer is None
        return answer is not None and any(a in answer.fact.text for a in self.case.accepted)


@dataclass
class Scorecard:
    outcomes: list[Outcome] = field(default_factory=list)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        table: dict[str, list[int]] = {}
        for o in self.outcomes:
            row = table.setdefault(o.case.kind, [0, 0])
            row[0] += o.ok
            row[1] += 1
        return {k: (v[0], v[1]) for k, v in table.items()}

    def share(self, kinds: Callable[[str], bool]) -> tuple[int, int]:
        chosen = [o for o in self.outcomes if kinds(o.case.kind)]
        return sum(o.ok for o in chosen), len(chosen)

    @property
    def answerable(self) -> tuple[int, int]:
        return self.share(lambda k: k not in DECLINE_KINDS)


def read_cases(path: str | Path) -> list[Case]:
    """Parse a question file; an error names the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise QuestionFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise QuestionFileError(f"{path}: {exc.strerror}") from exc
    cases = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 3:
            got = len(cols)
            raise QuestionFileError(f"{path}:{number}: expected 3 tab-separated columns, got {got}")
        kind, question, accepted = (c.strip() for c in cols)
        answers = () if accepted == "-" else tuple(a for a in accepted.split("|") if a)
        cases.append(Case(kind, question, answers, number))
    if not cases:
        raise QuestionFileError(f"{path}: no questions")
    return cases


def evaluate(ask: Callable[[str], Result], cases: Iterable[Case]) -> Scorecard:
    return Scorecard([Outcome(case, ask(case.question)) for case in cases])
