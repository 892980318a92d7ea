"""Tests for knowledge.story: whether an article repeats its words more than chance would."""

from __future__ import annotations

import random

import pytest

import knowledge.match as match
from knowledge import ArticleInput, Knowledge, Store
from knowledge.analyze import sentence_terms, split_terms
from knowledge.cohesion import Words, key_sets
from knowledge.lexicon import DATA, read_lines
from knowledge.segment import split_sentences
from knowledge.store import seed_text
from knowledge.story import CHUNK, HIGH, LOW, MIN_SENTENCES, adrift, repeat_ratio


def terms(sentences: list[str]) -> list[Words]:
    """Each sentence's content words as keys, as ingest gives them to the measure."""
    return [sentence_terms(s).word_keys for s in sentences]


def seed_sentences() -> list[str]:
    text = seed_text().split("\n", 1)[1]
    return [text[s:e] for s, e in split_sentences(text)]


def chance_sentences(count: int, *, seed: int) -> list[str]:
    """Sentences of words drawn at random with the reference's own frequencies: no story."""
    rows = [line.split("\t") for line in read_lines(DATA / "key_frequencies.tsv")[1:]]
    words, weights = [w for w, _ in rows], [int(n) for _, n in rows]
    rng = random.Random(seed)
    return [" ".join(rng.choices(words, weights, k=12)).capitalize() + "." for _ in range(count)]


def test_a_news_story_repeats_its_words_far_more_than_chance():
    story = repeat_ratio(terms(seed_sentences()))
    salads = [repeat_ratio(terms(chance_sentences(30, seed=s))) for s in range(5)]
    assert story is not None and story > 5 * HIGH
    assert all(r is not None and r < HIGH for r in salads), salads
    assert adrift(story) == 0.0
    drift = [adrift(r) for r in salads]
    assert min(drift) > 0.25 and sum(drift) / len(drift) > 0.6, drift


@pytest.mark.parametrize("count", [MIN_SENTENCES, 5, 6])
def test_a_short_story_is_told_apart_as_well_as_a_long_one(count):
    # The plain share of repeated words falls with length; the ratio to chance does not.
    assert adrift(repeat_ratio(terms(seed_sentences()[:count]))) == 0.0


@pytest.mark.parametrize("count", range(MIN_SENTENCES))
def test_too_short_to_tell_is_never_adrift(count):
    ratio = repeat_ratio(terms(seed_sentences()[:count]))
    assert ratio is None and adrift(ratio) == 0.0


def test_a_repeat_counts_only_within_a_run_of_sentences():
    filler = [f"Sætning nummer {i} om intet." for i in range(2 * CHUNK - 2)]
    name = "Kirby taler."
    near = repeat_ratio(terms([name, name, *filler]))
    far = repeat_ratio(terms([name, *filler, name]))
    assert near is not None and far is not None and near > far


def test_given_key_sets_give_the_same_ratio():
    sentences = terms(seed_sentences())
    assert repeat_ratio(sentences, keys=key_sets(sentences)) == repeat_ratio(sentences)


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [(None, 0.0), (0.0, 1.0), (LOW / 2, 1.0), (LOW, 1.0), (HIGH, 0.0), (4 * HIGH, 0.0)],
)
def test_adrift_runs_from_one_at_chance_to_zero_for_a_story(ratio, expected):
    assert adrift(ratio) == expected


def test_adrift_falls_steadily_between_its_bounds():
    values = [adrift(LOW + (HIGH - LOW) * i / 10) for i in range(11)]
    assert values == sorted(values, reverse=True)
    assert 0.0 < values[5] < 1.0


def test_the_store_keeps_each_article_ratio():
    store = Store.open(":memory:", seed=False)
    story, salad = seed_sentences(), chance_sentences(30, seed=1)
    for sentences in (story, salad):
        store.add(ArticleInput(" ".join(sentences)))
    stored = [r[0] for r in store.db.execute("SELECT story FROM articles ORDER BY id")]
    facts = [
        [
            r[0]
            for r in store.db.execute(
                "SELECT terms FROM facts WHERE article_id = ? ORDER BY position", [aid]
            )
        ]
        for aid in (1, 2)
    ]
    assert stored == [repeat_ratio([split_terms(t) for t in f]) for f in facts]
    assert stored[0] > HIGH > stored[1]


def test_a_story_outranks_word_salad_that_holds_more_of_the_question(monkeypatch):
    question = "Hvem er talsmand for Pentagon i Washington?"
    salad = chance_sentences(30, seed=2)
    # It shares words with its neighbours as salad does by chance, so `coherent` does not
    # give it away: only the article's lack of a story does.
    before, after = salad[14].rstrip(".").split()[:5], salad[16].rstrip(".").split()[:5]
    salad[15] = " ".join([*before, "talsmand for Pentagon i Washington", *after]) + "."
    story = [
        "Ministeren skal mødes med Pentagon om nødhjælp til Gaza tirsdag.",
        "Nødhjælpen til Gaza er forsinket, siger Pat Ryder, der er talsmand for Pentagon.",
        "Ryder siger, at ministeren vil presse på for mere nødhjælp til Gaza.",
        "Ministeren kom til Washington mandag, og Ryder venter svar på onsdag.",
    ]
    kb = Knowledge(Store.open(":memory:", seed=False))
    list(kb.ingest([ArticleInput(" ".join(salad)), ArticleInput(" ".join(story))]))

    def best() -> str:
        return kb.search(question, limit=1)[0].fact.text

    assert "Pat Ryder" in best()
    # The salad sentence holds every question word: only `adrift` keeps it down.
    monkeypatch.setitem(match.RANK_WEIGHTS, "adrift", 0.0)
    assert best() == salad[15]
