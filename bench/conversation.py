"""Conversation quality: small talk told from questions, and follow-up questions.

Everything goes through `Knowledge.converse`, as the bot and `faktabot chat` do:

  small talk   the share of small-talk and out-of-scope messages recognised, by kind, on
               bench/data/smalltalk_heldout.tsv (written apart from the phrasings and
               never read line by line) and, as development figures, smalltalk_dev2.tsv,
               smalltalk_dev3.tsv and the kinds of smalltalk.tsv that are small talk
  questions    the share of real questions taken for small talk: every answerable line
               of dev_questions.tsv and every SQuAD-da question
  dialogues    bench/data/dialogues_heldout.json (12 SQuAD-da articles, never read turn
               by turn) and dialogues_dev.json (the seed and 12 other articles, used in
               development) played turn by turn with the seed and the 24 SQuAD-da
               articles indexed: the share of follow-ups whose quoted sentence holds an
               expected string, by kind
  standing     self-contained questions asked with a context (the opening answer of a
               dialogue over another article): the share whose answer changes

    python bench/conversation.py [--squad N]   (N: SQuAD questions asked with a context)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faktabot.knowledge import Knowledge
from faktabot.knowledge.dialogue import follow_up
from faktabot.knowledge.model import Result, Turn
from faktabot.knowledge.smalltalk import phrasebook
from squad_data import SHARED, index_articles, load

DATA = Path(__file__).resolve().parent / "data"
# The kinds of smalltalk.tsv that are small talk or out of scope (the rest is general
# knowledge, which the matcher declines: bench/heldout.py regime f).
DEV_KINDS = {
    "greeting": "greeting",
    "thanks": "thanks",
    "goodbye": "goodbye",
    "bot": "about",
    "time": "time",
    "weather": "weather",
    "arithmetic": "arithmetic",
    "joke": "joke",
    "opinion": "opinion",
    "task": "write",
}


def read_tsv(path: Path) -> list[tuple[str, str]]:
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(r.split("\t", 1)) for r in rows if r.strip()]  # type: ignore[misc]


def small_talk(rows: list[tuple[str, str]]) -> tuple[Counter, Counter, Counter]:
    """Per kind: lines, lines taken for small talk, and lines given the right intent."""
    book = phrasebook()
    lines, found, right = Counter(), Counter(), Counter()
    for kind, text in rows:
        intent = book.intent(text)
        lines[kind] += 1
        found[kind] += intent is not None
        right[kind] += intent is not None and intent.name == kind
    return lines, found, right


def print_small_talk(name: str, rows: list[tuple[str, str]], *, by_kind: bool) -> float:
    lines, found, right = small_talk(rows)
    total, hit, exact = sum(lines.values()), sum(found.values()), sum(right.values())
    share = f"{hit}/{total} recognised ({hit / total:.1%})"
    print(f"\n{name}: {share}, {exact / total:.1%} as the very kind")
    if by_kind:
        print(f"  {'kind':<11} {'lines':>5} {'recognised':>10} {'same kind':>9}")
        for kind in sorted(lines):
            n = lines[kind]
            print(f"  {kind:<11} {n:>5} {found[kind] / n:>10.1%} {right[kind] / n:>9.1%}")
    return hit / total


def real_questions() -> list[str]:
    rows = (SHARED / "dev_questions.tsv").read_text(encoding="utf-8").splitlines()
    out = [
        r.split("\t")[1] for r in rows if r and not r.startswith("#") and r.split("\t")[2] != "-"
    ]
    squad = json.loads((SHARED / "squad_da_dev.json").read_text(encoding="utf-8"))["data"]
    return out + [qa["question"] for a in squad for p in a["paragraphs"] for qa in p["qas"]]


def knowledge_base() -> tuple[Knowledge, dict[str, str]]:
    """The seed and the 24 SQuAD-da articles; and each article's text by dialogue name."""
    articles, _ = load()
    kb, _ = index_articles(articles, range(len(articles)))
    texts = {a.title.replace(" ", "_"): a.text for a in articles}
    texts["seed"] = kb.store.article_text(kb.store.articles()[0].id)
    return kb, texts


def holds(result: Result, expect: list[str]) -> bool:
    return result.answer is not None and any(e in result.answer.fact.text for e in expect)


def play(kb: Knowledge, dialogues: list[dict]) -> tuple[dict, list[Turn], list[str]]:
    """Each dialogue turn by turn; per kind: (asked, right, right after a right turn)."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    openings: list[Turn] = []
    misses: list[str] = []
    for dialogue in dialogues:
        previous: Turn | None = None
        previous_right = False
        for number, turn in enumerate(dialogue["turns"]):
            result = kb.converse(turn["q"], previous)
            right = holds(result, turn["expect"])
            row = tally[turn["kind"]]
            row[0] += 1
            row[1] += right
            if previous_right:
                row[2] += 1
                row[3] += right
            if number == 0 and result.turn is not None:
                openings.append(result.turn)
            if not right and turn["kind"] != "question":
                quoted = result.answer.fact.text[:70] if result.answer else "-"
                misses.append(f"{dialogue['id']} {turn['kind']}: {turn['q']} -> {quoted}")
            if result.turn is not None:
                previous, previous_right = result.turn, right
    return tally, openings, misses


def print_dialogues(kb: Knowledge, dialogues: list[dict], *, misses: bool) -> list[Turn]:
    """Play the dialogues and print the share right by kind; the openings' turns."""
    tally, openings, missed = play(kb, dialogues)
    print(f"{'kind':<9} {'turns':>5} {'right':>7} {'after a right turn':>19}")
    follow = [0, 0, 0, 0]
    for kind in ("question", "pronoun", "ellipsis", "swap", "else"):
        n, r, n2, r2 = tally[kind]
        if kind != "question":
            follow = [a + b for a, b in zip(follow, tally[kind], strict=True)]
        after = f"{r2}/{n2} {r2 / n2:.0%}" if n2 else "-"
        print(f"{kind:<9} {n:>5} {r / n:>7.1%} {after:>19}")
    n, r, n2, r2 = follow
    print(f"{'follow-up':<9} {n:>5} {r / n:>7.1%} {f'{r2}/{n2} {r2 / n2:.0%}':>19}")
    if misses:
        print("\n".join(missed))
    return openings


def standing(kb: Knowledge, questions: list[str], contexts: list[Turn]) -> tuple[int, int, int]:
    """(asked, leaning on the context by their words, answers changed among the rest)."""
    rng = random.Random(7)
    leaning = changed = 0
    for question in questions:
        context = rng.choice(contexts)
        if follow_up(question, context) is not None and _leans(question):
            leaning += 1
            continue
        alone, with_context = kb.converse(question), kb.converse(question, context)
        if _quoted(alone) != _quoted(with_context):
            changed += 1
    return len(questions), leaning, changed


def _leans(question: str) -> bool:
    """A pronoun for a person with no name beside it: not self-contained, whoever wrote it."""
    from faktabot.knowledge.dialogue import cues

    words = question.lower().replace("?", " ").split()
    return any(w in cues().person for w in words)


def _timed(call, calls: list, *, ask: bool) -> str:
    times = []
    for message, context in calls:
        start = time.perf_counter()
        call(message) if ask else call(message, context)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return f"{times[len(times) // 2]:>6.1f} {times[int(len(times) * 0.95)]:>6.1f}"


def _quoted(result: Result) -> int | None:
    return result.answer.fact.id if result.answer else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=int, default=1000, help="SQuAD questions for 'standing'")
    parser.add_argument(
        "--misses", action="store_true", help="list the development dialogues' misses"
    )
    args = parser.parse_args()
    started = time.perf_counter()

    print("## Small talk")
    held = print_small_talk(
        "held out (smalltalk_heldout.tsv)", read_tsv(DATA / "smalltalk_heldout.tsv"), by_kind=True
    )
    for name in ("smalltalk_dev2.tsv", "smalltalk_dev3.tsv"):
        print_small_talk(f"development ({name})", read_tsv(DATA / name), by_kind=False)
    dev = [(DEV_KINDS[k], t) for k, t in read_tsv(DATA / "smalltalk.tsv") if k in DEV_KINDS]
    print_small_talk("development (smalltalk.tsv, its small-talk kinds)", dev, by_kind=False)

    questions = real_questions()
    book = phrasebook()
    taken = [q for q in questions if book.intent(q) is not None]
    share = f"{len(taken)}/{len(questions)} ({len(taken) / len(questions):.2%})"
    print(f"\nreal questions taken for small talk: {share}")
    for q in taken:
        print(f"  {q}")

    kb, _ = knowledge_base()
    dialogues, openings = [], []
    for name in ("dialogues_heldout.json", "dialogues_dev.json"):
        print(f"\n## Follow-ups ({name}; the seed and 24 SQuAD-da articles indexed)")
        these = json.loads((DATA / name).read_text(encoding="utf-8"))
        opened = print_dialogues(kb, these, misses=args.misses and "dev" in name)
        dialogues += these
        openings += opened

    print("\n## Self-contained questions asked with a context")
    rng = random.Random(3)
    sample = questions[:40] + rng.sample(questions[40:], min(args.squad, len(questions) - 40))
    mid = [t["q"] for d in dialogues for t in d["turns"][1:] if t["kind"] == "question"]
    for name, asked in (("dialogue turns", mid), ("dev + SQuAD-da sample", sample)):
        total, leaning, changed = standing(kb, asked, openings)
        rest = total - leaning
        share = f"{changed}/{rest} changed ({changed / max(rest, 1):.2%})"
        print(f"{name}: {share}; {leaning} lean on a person pronoun")
    print("\n## Time per message (ms, one process, warm)")
    print(f"{'path':<34} {'p50':>6} {'p95':>6}")
    follow_ups = [
        (t["q"], o)
        for d, o in zip(dialogues, openings, strict=False)
        for t in d["turns"][1:]
        if t["kind"] != "question"
    ]
    paths = [
        ("ask (no conversation)", [(q, None) for q in sample], kb.ask),
        ("converse, no context", [(q, None) for q in sample], kb.converse),
        (
            "converse, with a context",
            [(q, o) for q, o in zip(sample, openings * 40, strict=False)],
            kb.converse,
        ),
        ("converse, follow-ups", follow_ups, kb.converse),
        (
            "small talk test (phrasebook only)",
            [(q, None) for q in sample],
            lambda q, _=None: book.intent(q),
        ),
    ]
    for name, calls, call in paths:
        print(f"{name:<34} {_timed(call, calls, ask=call == kb.ask)}")
    print(f"\n({time.perf_counter() - started:.0f} s; small talk {held:.1%} held out)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
