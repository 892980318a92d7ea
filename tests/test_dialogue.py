"""Follow-up questions lean on the previous answer; questions that stand alone do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from faktabot.knowledge import Knowledge
from faktabot.knowledge.dialogue import Memory, follow_up
from faktabot.knowledge.model import ArticleInput, Turn

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
MINISTER = "Hvem er Israels forsvarsminister?"
SULLIVAN = "Jake Sullivan"


@pytest.fixture(scope="module")
def seed() -> Knowledge:
    return Knowledge.open(":memory:")


@pytest.fixture(scope="module")
def minister(seed: Knowledge) -> Turn:
    result = seed.ask(MINISTER)
    assert result.turn is not None
    return result.turn


def test_an_answer_leaves_a_turn_about_the_person_it_names(minister: Turn) -> None:
    assert minister.names[0] == "Yoav Gallant"  # the answer, not the country asked about
    assert minister.words == ("israels", "forsvarsminister")
    assert minister.question == MINISTER


def test_a_declined_question_leaves_a_turn_only_when_it_names_its_subject(seed: Knowledge) -> None:
    assert seed.ask("Hvad er hovedstaden?").turn is None
    declined = seed.ask("Hvad spiste Kirby til morgenmad?")
    turn = declined.turn
    assert declined.answer is None and turn is not None and turn.names == ("Kirby",)
    assert turn.fact_id is None  # nothing to show more of
    assert seed.converse("mere", turn).passage is None


@pytest.mark.parametrize(
    ("message", "rewritten", "sure"),
    [
        ("Hvem skal han mødes med tirsdag?", "Hvem skal Yoav Gallant mødes med tirsdag?", True),
        ("Hvad er hans titel?", "Hvad er Yoav Gallants titel?", True),
        ("og hvornår?", "hvornår Yoav Gallant israels forsvarsminister?", True),
        (
            "hvor kommer den fra?",
            "hvor kommer den fra Yoav Gallant israels forsvarsminister?",
            True,
        ),
        ("hvor mange døde?", "hvor mange døde Yoav Gallant israels forsvarsminister?", False),
        ("og hvad siger han om USA?", "og hvad siger Yoav Gallant om USA?", True),  # name after
        ("hvad ved du ellers om ham?", "hvad ved du om Yoav Gallant?", True),
        (
            "hvor mange soldater har dens hær?",
            "hvor mange soldater har dens hær Yoav Gallant israels forsvarsminister?",
            False,
        ),  # "dens": its, whatever follows
        ("hvad med USA?", "Hvem er USA forsvarsminister?", True),
        ("og hvad med Hamas", "Hvem er Hamas forsvarsminister?", True),
    ],
)
def test_a_follow_up_is_rewritten_to_stand_alone(
    minister: Turn, message: str, rewritten: str, sure: bool
) -> None:
    lean = follow_up(message, minister)
    assert lean is not None
    assert (lean.question, lean.sure) == (rewritten, sure)


def test_hvad_ellers_asks_the_same_again_without_the_last_answer(minister: Turn) -> None:
    lean = follow_up("Hvad ellers?", minister)
    assert lean is not None
    assert (lean.question, lean.exclude) == (MINISTER, (minister.fact_id,))


@pytest.mark.parametrize(
    "message",
    [
        "Hvem er talsmand for Pentagon?",  # names its subject
        "Hvad sagde Kirby om ham?",  # a pronoun, but a name of its own
        "Hvor mange gidsler er der stadig i Gaza?",
        "Hvad koster det at bygge en ny metrolinje til Amager?",  # "det", and much else
        "og hvornår skal Gallant mødes med Austin?",
        "Hvad hedder den nationale sikkerhedsrådgiver?",  # "den" goes with its noun
        "Kirby",  # a bare name: a search
        "landoffensiv",  # a bare word: a search
    ],
)
def test_a_question_that_stands_alone_is_no_follow_up(minister: Turn, message: str) -> None:
    assert follow_up(message, minister) is None


def test_a_follow_up_is_answered_with_the_context_and_says_so(
    seed: Knowledge, minister: Turn
) -> None:
    result = seed.converse("Hvem skal han mødes med tirsdag?", minister)
    assert result.answer is not None and SULLIVAN in result.answer.fact.text
    assert result.about == "Yoav Gallant"
    assert result.question == "Hvem skal han mødes med tirsdag?"


def test_hvad_ellers_gives_another_sentence_each_time_on_the_same_subject(
    seed: Knowledge, minister: Turn
) -> None:
    given, turn = [minister.fact_id], minister
    for _ in range(3):
        result = seed.converse("hvad ellers?", turn)
        assert result.answer is not None and result.about == "Yoav Gallant"
        assert result.answer.fact.id not in given
        given.append(result.answer.fact.id)
        assert result.turn is not None
        turn = result.turn
    assert turn.names == minister.names


# Questions that stand on their own, of every kind: on the seed, with typos or without
# æøå, a bare name, off the topic, and small talk.
STANDALONE = [
    "Hvad kræver resolutionen fra Sikkerhedsrådet?",
    "Hvor mange blev dræbt under angrebet 7. oktober?",
    "Hvem styrer sundhedsministeriet i Gaza?",
    "Hvad har USA udtrykt frustration over?",
    "Hvem er USA's nationale sikkerhedsrådgiver?",
    "Hvad skal ministrene drøfte?",
    "Hvornaar moedes Gallant med Lloyd Austin?",
    "hvem er talsmand for det hvide hus",
    "hvorfor aflyste israel besoeget",
    "Netanyahu",
    "Hvem vandt Tour de France i 2023?",
    "Hvad koster en liter mælk?",
    "godaften",
    "tusind tak",
]


def test_no_self_contained_question_changes_its_answer_because_of_a_context(
    seed: Knowledge, minister: Turn
) -> None:
    for question in STANDALONE:
        alone, leaning = seed.ask(question), seed.converse(question, minister)
        if leaning.intent is not None:
            continue  # small talk (a greeting): never searched either way
        assert leaning.about is None, question
        assert _quoted(leaning) == _quoted(alone), question


def _quoted(result: object) -> int | None:
    answer = getattr(result, "answer", None)
    return answer.fact.id if answer else None


def test_the_previous_article_is_tried_first(seed: Knowledge) -> None:
    kb = Knowledge.open(":memory:")
    brief = (
        "Københavns Kommune vil bygge en ny metrolinje til Amager. Linjen skal åbne i 2035.\n\n"
        "Overborgmester Sophie Hæstorp Andersen kalder beslutningen historisk."
    )
    other = "Aarhus Letbane åbnede i 2017. Letbanen kører mellem Aarhus og Grenaa."
    list(kb.ingest([ArticleInput(brief, title="Metro"), ArticleInput(other, title="Letbane")]))
    first = kb.ask("Hvem kalder beslutningen historisk?")
    assert first.turn is not None
    result = kb.converse("og hvornår åbner den?", first.turn)
    assert result.answer is not None and "2035" in result.answer.fact.text


def test_mere_shows_the_answer_among_its_neighbours(seed: Knowledge, minister: Turn) -> None:
    result = seed.converse("fortæl mere", minister)
    assert result.intent is not None and result.intent.name == "more"
    assert result.passage is not None and result.passage.focus == minister.fact_id
    positions = [f.position for f in result.passage.facts]
    assert len(positions) >= 2 and positions == sorted(positions)
    assert minister.fact_id in [f.id for f in result.passage.facts]
    assert seed.converse("mere").passage is None  # nothing answered yet


def test_a_paragraph_of_several_sentences_is_shown_whole(seed: Knowledge) -> None:
    sullivan = seed.ask("Hvem skal Gallant mødes med tirsdag?")
    assert sullivan.answer is not None
    passage = seed.passage(sullivan.answer.fact.id)
    assert passage is not None
    assert [SULLIVAN in f.text for f in passage.facts] == [True, False]  # its paragraph
    assert "Lloyd Austin" in passage.facts[1].text
    assert seed.passage(10**9) is None


def test_memory_forgets_after_its_time_and_keeps_conversations_apart(minister: Turn) -> None:
    now = [0.0]
    memory = Memory(600, size=2, clock=lambda: now[0])
    memory.remember("a", minister)
    assert memory.recall("a") == minister and memory.recall("b") is None
    now[0] = 599.0
    assert memory.recall("a") == minister
    now[0] = 600.0
    assert memory.recall("a") is None
    for key in ("x", "y", "z"):
        memory.remember(key, minister)
    assert memory.recall("x") is None and memory.recall("z") == minister  # the oldest goes
    memory.forget("z")
    assert memory.recall("z") is None
