"""A new user's first short article is answered, and the parameter file is strict.

Short briefs are the most common kind of news: five sentences that repeat few words.
Nothing about them may look like noise to the matcher or the decision.
"""

from __future__ import annotations

import json

import pytest
from faktabot.knowledge import Knowledge, Store
from faktabot.knowledge.decide import FEATURES, SEMANTIC
from faktabot.knowledge.features import RANK_FEATURES
from faktabot.knowledge.params import PARAMS_FILE, Params, ParamsError
from faktabot.knowledge.parse import parse_text

METRO = """date 2025-06-12
Københavns Kommune har besluttet at bygge en ny metrolinje til Amager. Linjen skal efter \
planen åbne i 2035 og koste omkring 18 milliarder kroner.

Overborgmester Sophie Hæstorp Andersen siger, at beslutningen er historisk. \
Borgerrepræsentationen stemte torsdag 41 for og 14 imod forslaget.

Kritikere mener, at pengene hellere skulle bruges på busser og cykelstier.
"""


@pytest.fixture(scope="module")
def metro_kb() -> Knowledge:
    """A fresh database: the seed article and the brief, as `faktabot ingest` adds it."""
    kb = Knowledge(Store.open(":memory:"))
    list(kb.ingest([parse_text(METRO, title="Ny metrolinje til Amager")]))
    return kb


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Hvornår skal metrolinjen åbne?", "åbne i 2035"),
        ("Hvad koster den nye metrolinje?", "18 milliarder kroner"),
        ("Hvor mange stemte for forslaget?", "41 for og 14 imod"),
        pytest.param(
            "Hvem er overborgmester i København?",
            "Sophie Hæstorp Andersen",
            marks=pytest.mark.xfail(
                strict=True,
                reason="ranked first, but declined: the sentence lacks the name København, "
                "which the sentence before holds (confidence 0.17, threshold 0.40)",
            ),
        ),
        ("Hvad mener kritikerne?", "busser og cykelstier"),
    ],
)
def test_every_sentence_of_a_first_brief_answers_its_question(metro_kb, question, expected):
    result = metro_kb.ask(question)
    assert result.answer is not None, result.explanation
    assert expected in result.answer.fact.text


@pytest.mark.parametrize(
    "question",
    ["Hvad er klokken?", "Hvordan bliver vejret i morgen?", "Hvad er hovedstaden i Norge?"],
)
def test_small_talk_is_not_answered_from_the_brief(metro_kb, question):
    assert metro_kb.ask(question).answer is None


def _bundled_json() -> dict:
    return json.loads(PARAMS_FILE.read_text(encoding="utf-8"))


def test_the_bundled_file_names_every_feature_once():
    def once(pairs: list[tuple[str, object]]) -> dict:
        names = [name for name, _ in pairs]
        assert len(names) == len(set(names)), names  # json.loads keeps the last of twins
        return dict(pairs)

    json.loads(PARAMS_FILE.read_text(encoding="utf-8"), object_pairs_hook=once)
    params = Params.bundled()
    assert set(params.rank.weights) == set(RANK_FEATURES)
    assert set(params.decision.weights) == set(FEATURES)
    assert set(params.rank.first_pass) <= set(RANK_FEATURES)
    assert 0 < params.decision.threshold < 1
    assert params.notes  # where the values came from


@pytest.mark.parametrize(
    "section,change",
    [
        ("rank", lambda w: w.update(ordr=w.pop("order"))),  # a mistyped name
        ("rank", lambda w: w.pop("idf_cov")),  # a feature without a weight
        ("decision", lambda w: w.update(unheard_of=1.0)),  # a weight nobody computes
        ("decision", lambda w: w.pop("margin")),
    ],
)
def test_a_mistyped_or_missing_feature_name_is_an_error(tmp_path, section, change):
    data = _bundled_json()
    change(data[section]["weights"])
    path = tmp_path / "params.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ParamsError):
        Params.load(path)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["rank"]["first_pass"].append("soft"),  # needs the second pass's reading
        lambda d: d["rank"].update(min_rerank=30),  # above max_rerank
        lambda d: d["decision"].update(threshold=1.5),
    ],
)
def test_a_first_pass_or_reach_or_threshold_that_cannot_work_is_an_error(tmp_path, change):
    data = _bundled_json()
    change(data)
    path = tmp_path / "params.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ParamsError):
        Params.load(path)


def test_the_bundled_file_has_a_semantic_mode_of_its_own():
    semantic = Params.bundled().semantic
    assert semantic is not None
    assert set(semantic.decision.weights) == set(FEATURES + SEMANTIC)
    assert semantic.rerank >= 1 and semantic.cosine > 0
    assert 0 < semantic.decision.threshold < 1


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["decision"]["weights"].pop("cosine"),  # the vectors' feature unweighed
        lambda s: s["decision"]["weights"].update(cosinus=1.0),  # a mistyped one
        lambda s: s.update(rerank=0),
        lambda s: s["decision"].update(threshold=0.0),
    ],
)
def test_a_semantic_mode_that_cannot_work_is_an_error(tmp_path, change):
    data = _bundled_json()
    change(data["semantic"])
    path = tmp_path / "params.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ParamsError):
        Params.load(path)


def test_parameters_round_trip_through_their_file(tmp_path):
    path = tmp_path / "params.json"
    Params.bundled().write(path)
    again = Params.load(path)
    assert again.rank.weights == pytest.approx(Params.bundled().rank.weights, abs=1e-4)
    assert again.decision.threshold == Params.bundled().decision.threshold
    assert again.semantic == Params.bundled().semantic


def test_the_knowledge_answers_with_the_parameters_it_is_given(metro_kb):
    question = "Hvad mener kritikerne?"
    assert metro_kb.ask(question).answer is not None
    never = metro_kb.params.with_decision(threshold=1.0)
    strict = Knowledge(metro_kb.store, params=never)
    result = strict.ask(question)
    assert result.answer is None
    assert "busser og cykelstier" in result.alternatives[0].fact.text


def test_a_declined_brief_question_still_offers_the_right_sentence_first(metro_kb):
    result = metro_kb.ask("Hvem er overborgmester i København?")
    shown = [result.answer.fact] if result.answer else []
    shown += [hit.fact for hit in result.alternatives]
    assert "Sophie Hæstorp Andersen" in shown[0].text
