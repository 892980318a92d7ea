"""The decision's features: what they read of a question and its best sentence."""

from __future__ import annotations

import pytest
from faktabot.knowledge import ArticleInput, Knowledge, Store
from faktabot.knowledge.decide import FEATURES, decision_features, holds, question_facts
from faktabot.knowledge.lexicon import contrasts, rarity
from faktabot.knowledge.match import word_idf


def _best(kb: Knowledge, question: str):
    query, ranked = kb.analyse(question)
    idfs = [word_idf(w, kb.view) for w in query.words]
    return query, idfs, ranked[0]


@pytest.fixture
def kb() -> Knowledge:
    kb = Knowledge(Store.open(":memory:", seed=False))
    list(
        kb.ingest(
            [
                ArticleInput("Bageren i Skagen solgte den største kage til borgmesteren."),
                ArticleInput("Fiskeren i Hirtshals fangede ikke en eneste torsk i går."),
            ]
        )
    )
    return kb


@pytest.mark.parametrize(
    "question,negated,opposite",
    [
        ("Hvem solgte den største kage i Skagen?", 0.0, 0.0),
        ("Hvem solgte den mindste kage i Skagen?", 0.0, 1.0),  # the other side only
        ("Hvem solgte ikke kagen i Skagen?", 1.0, 0.0),  # the question denies, the sentence not
        ("Hvad fangede fiskeren ikke i Hirtshals?", 0.0, 0.0),  # both deny
    ],
)
def test_contrasts_see_a_sentence_that_says_the_opposite(kb, question, negated, opposite):
    query, idfs, top = _best(kb, question)
    got = holds(query, idfs, top)
    assert (got["negated"], got["opposite"]) == (negated, opposite)


def test_a_lacking_name_counts_and_a_lacking_ordinary_word_does_not(kb):
    # Both questions lack one word of the sentence: a place name, or an ordinary verb.
    query, idfs, top = _best(kb, "Hvad solgte bageren i Frederikshavn?")
    assert holds(query, idfs, top)["unmatched_name"] > 0
    query, idfs, top = _best(kb, "Hvad forærede bageren i Skagen?")
    assert holds(query, idfs, top)["unmatched_name"] == 0
    assert holds(query, idfs, top)["plain_cov"] < 1


def test_rarity_is_danish_at_large_not_the_index():
    table, unlisted = rarity()
    assert table["klokke"] < table["borgmester"] < unlisted
    # Each word is in one sentence of this index, so the index finds them equally rare;
    # Danish at large does not.
    kb = Knowledge(Store.open(":memory:", seed=False))
    list(
        kb.ingest(
            [
                ArticleInput("Mødet begyndte klokken otte i går."),
                ArticleInput("Borgmesteren holdt tale ved indvielsen i går."),
            ]
        )
    )
    common = holds(*_best(kb, "Hvad skete der klokken?"))
    rare = holds(*_best(kb, "Hvad gjorde borgmesteren?"))
    assert common["matched"] == rare["matched"] > 0
    assert common["rarest"] < rare["rarest"]


def test_the_contrast_list_pairs_both_ways_and_by_lemma():
    negations, opposites = contrasts()
    assert "ikke" in negations
    assert "mindst" in opposites["stoerst"] or "lille" in opposites["stoerst"]
    assert any("stor" in others for others in opposites.values())


def test_decision_features_are_complete_and_empty_without_a_candidate(kb):
    query, idfs, top = _best(kb, "Hvem solgte kagen?")
    question = question_facts(query, n_facts=kb.view.n_facts)
    features = decision_features(
        question, {**top.features, **holds(query, idfs, top)}, top_score=1.0, runner_score=0.4
    )
    assert set(features) == set(FEATURES)
    assert features["margin"] == pytest.approx(0.6)
    assert decision_features(question, {}, top_score=0.0, runner_score=None) == dict.fromkeys(
        FEATURES, 0.0
    )


def test_a_larger_store_than_the_model_was_fitted_on_is_read_as_that_size(kb):
    query, ranked = kb.analyse("Hvem solgte kagen?")
    assert kb.view.n_facts == 2
    fitted = kb.decide_on(query, ranked)["size"]
    small = Knowledge(kb.store, params=kb.params.with_decision(max_facts=1))
    assert small.decide_on(query, ranked)["size"] == 0.0 < fitted
