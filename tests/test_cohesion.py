"""Tests for knowledge.cohesion: how much a sentence belongs to its article."""

from __future__ import annotations

import random

import pytest

from knowledge import ArticleInput, Knowledge, Store
from knowledge.analyze import sentence_terms
from knowledge.cohesion import MIN_SENTENCES, NEUTRAL, ORDINARY, Words, coherent, cohesion
from knowledge.segment import split_sentences
from knowledge.store import seed_text

STORY = [
    "Københavns Zoo har fået en ny elefant fra Thailand.",
    "Elefanten hedder Bent og vejer 3.000 kilo.",
    "Dyrepasseren i Københavns Zoo siger, at Bent spiser 150 kilo hø om dagen.",
    "Bent kom til København med fly fra Thailand i sidste uge.",
    "Zoo venter mange gæster, når elefanten vises frem i weekenden.",
]


def terms(sentences: list[str]) -> list[Words]:
    """Each sentence's content words as keys, as ingest gives them to the measure."""
    return [sentence_terms(s).word_keys for s in sentences]


def test_sentences_of_one_story_share_their_words():
    shares = cohesion(terms(STORY))
    assert all(share >= 0.25 for share in shares), shares
    assert sum(shares) / len(shares) >= 0.4


def test_a_sentence_on_another_subject_shares_nothing():
    stray = "Regeringen vil sænke afgiften på benzin og diesel fra nytår."
    shares = cohesion(terms([*STORY, stray]))
    assert shares[-1] == 0.0
    assert min(shares[:-1]) > 0.0


def test_a_word_repeated_within_one_sentence_is_not_shared():
    sentences = [
        "Elefanten og elefanten.",
        "Regeringen sænker afgiften.",
        "Cyklister kører hurtigt.",
        "Bageren sælger rugbrød.",
    ]
    assert cohesion(terms(sentences))[0] == 0.0


def test_inflections_count_as_the_same_word():
    # "elefant" / "elefanten" / "elefanter" share a lemma key.
    sentences = [
        "En elefant ankom.",
        "Elefanten ankommer om lidt.",
        "Elefanter sover stående.",
        "Bageren sælger rugbrød.",
    ]
    shares = cohesion(terms(sentences))
    assert shares[0] == 1.0 and shares[2] > 0.0 and shares[3] == 0.0


@pytest.mark.parametrize("count", range(MIN_SENTENCES))
def test_short_articles_are_too_short_to_tell(count):
    assert cohesion(terms(STORY[:count])) == [NEUTRAL] * count


def test_a_sentence_without_content_words_is_neutral():
    assert cohesion(terms([*STORY, "Det er det."]))[-1] == NEUTRAL


def test_a_real_article_is_more_cohesive_than_its_sentences_scattered():
    text = seed_text().split("\n", 1)[1]
    sentences = [text[s:e] for s, e in split_sentences(text)]
    own = cohesion(terms(sentences))
    # The same sentences, each in an article of strangers from a shuffled word list.
    words = " ".join(sentences).split()
    random.Random(3).shuffle(words)
    filler = [" ".join(words[i : i + 12]) + "." for i in range(0, 120, 12)]
    scattered = [cohesion(terms([s, *filler[:5]]))[0] for s in sentences]
    assert sum(own) / len(own) > 0.5
    assert sum(own) > sum(scattered)


def test_the_store_keeps_each_sentence_cohesion():
    store = Store.open(":memory:", seed=False)
    store.add(ArticleInput(" ".join(STORY)))
    stray = "Regeringen vil sænke afgiften på benzin og diesel fra nytår."
    store.add(ArticleInput(" ".join([*STORY[:4], stray]).replace("Bent", "Rasmus")))
    rows = store.db.execute("SELECT text, cohesion FROM facts ORDER BY id").fetchall()
    assert [c for t, c in rows[:5]] == cohesion(terms(STORY))
    assert dict(rows)[stray] == 0.0


def test_a_coherent_account_outranks_scattered_words():
    # Both sentences hold "talsmand" and "Pentagon"; only one belongs to its article.
    kb = Knowledge(Store.open(":memory:", seed=False))
    noise = [
        "Det er talsmand for Pentagon atmosfæren Mars i et af regnskovene.",
        "Bageren sælger rugbrød og kringler hver morgen.",
        "Cyklister kører hurtigt over broen i regnvejr.",
        "Orkesteret spillede en symfoni af Carl Nielsen.",
        "Fiskerne landede torsk i havnen i Hirtshals.",
    ]
    story = [
        "Pentagon siger, at ministeren kommer til Washington tirsdag.",
        "Ministeren skal tale med Pentagon om nødhjælp til Gaza.",
        "Nødhjælpen til Gaza er blevet forsinket i flere uger, siger Pat Ryder, talsmand for"
        " Pentagon.",
        "Ryder siger, at Washington vil presse på for mere nødhjælp.",
    ]
    list(kb.ingest([ArticleInput(" ".join(noise)), ArticleInput(" ".join(story))]))
    result = kb.ask("Hvem er talsmand for Pentagon?")
    best = result.answer.fact if result.answer else result.alternatives[0].fact
    assert "Pat Ryder" in best.text


def test_coherent_is_one_for_ordinary_prose_and_falls_below_it():
    assert coherent(ORDINARY) == coherent(0.9) == 1.0
    assert coherent(0.0) == 0.0 < coherent(ORDINARY / 2) < 1.0
