"""Questions about the seed article and the sentence that must answer them.

These are our own questions of the kinds in dev_questions.tsv (never its lines: held-out
questions of the same kinds judge the bot). Each expects a distinctive substring of the
right sentence; several substrings mean several sentences answer it. Where the matcher
does not yet answer a reasonable question, the case is kept and marked xfail.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from faktabot.knowledge import ArticleInput, Knowledge, Store, match
from faktabot.knowledge.params import Params, RankParams
from faktabot.knowledge.query import analyse
from faktabot.knowledge.store import seed_text
from hypothesis import given, settings
from hypothesis import strategies as st


def known_gap(question: str, expected: str | tuple[str, ...], reason: str):
    return pytest.param(question, expected, marks=pytest.mark.xfail(strict=False, reason=reason))


PARAPHRASE = [
    ("Hvem er talsmand for Pentagon?", "Pat Ryder"),
    ("Hvad hedder talsmanden for Det Hvide Hus?", "John Kirby"),
    ("Hvor mange personer blev dræbt ved angrebet den 7. oktober?", "1160 personer"),
    ("Hvor mange har Israels modangreb dræbt?", "mere end 32.000"),
    ("Hvor mange gidsler befinder sig stadig i Gaza?", "omkring 130 gidsler"),
    ("Hvem er USA's nationale sikkerhedsrådgiver?", "Jake Sullivan"),
    ("Hvem er Israels forsvarsminister?", "Yoav Gallant"),
    ("Hvem er Israels premierminister?", "Benjamin Netanyahu"),
    ("Hvad kræver resolutionen?", ("øjeblikkelig våbenhvile", "frigive de omkring 130")),
    ("Hvorfor aflyste Israel besøget?", "USA afstod fra at stemme"),
    ("Hvad skal de to ministre drøfte?", "frigivelse af gidslerne"),
    ("Hvad er målet med Israels modangreb?", "udslette Hamas"),
    ("Hvad siger Netanyahu om USA's handling?", "skader Israels kamp"),
    ("Hvilken dag skal Gallant mødes med Sullivan?", "tirsdag"),
    ("Hvem styrer sundhedsministeriet i Gaza?", "styret af Hamas"),
    ("Hvordan har USA støttet Israel?", "militært og diplomatisk"),
    known_gap(
        "Hvad har Det Hvide Hus sagt om det aflyste besøg?",
        ("perpleks og skuffet", "meget skuffet", "ret perplekse"),
        "rank weights fitted held out from coverage alone rank 'Israel aflyste besøget' first",
    ),
    ("Hvad skulle den israelske delegation have drøftet?", "landoffensiv"),
    (
        "Hvor mange civile palæstinensere er dræbt ifølge Hamas' sundhedsministerium?",
        "mere end 32.000",
    ),
    ("Hvornår kommer Gallant til USA?", ("separat besøg", "tirsdag")),
    ("Hvorfor er USA frustreret over Netanyahu?", "antallet af dræbte civile"),
    ("Hvornår tog Hamas gidslerne?", "Gidslerne blev taget"),
    ("Hvem skal Yoav Gallant mødes med?", ("Jake Sullivan", "Lloyd Austin")),
    known_gap(
        "Hvor er gidslerne?",
        ("omkring 130 gidsler", "gidslerne i Gaza"),
        "answers 'Gidslerne blev taget ... på Israel 7. oktober' (a place, but not theirs)",
    ),
]

SYNONYM = [
    ("Hvor mange omkom ved angrebet på Israel?", "1160 personer"),
    ("Hvor mange blev slået ihjel ved Hamas' angreb?", "1160 personer"),
    ("Hvorfor blev besøget annulleret?", "Israel aflyste besøget"),
    ("Hvem er pressetalsmand for Det Hvide Hus?", "John Kirby"),
    ("Hvad hedder Pentagons pressechef?", "Pat Ryder"),
    ("Hvem er Israels regeringschef?", "Benjamin Netanyahu"),
    ("Hvad kræver FN om våbenstilstand?", "øjeblikkelig våbenhvile"),
    ("Hvor mange gidsler skal Hamas løslade?", "omkring 130 gidsler"),
    ("Hvem bakker op om Israel militært?", "militært og diplomatisk"),
    known_gap(
        "Hvor mange mennesker omkom i Gaza?",
        "mere end 32.000",
        "omkom -> dræbt plus Gaza should find the 32.000 sentence; 'mennesker' ~ 'personer'"
        " pulls in the 1160 sentence instead",
    ),
]

WITHOUT_DANISH_LETTERS = [
    ("hvor mange er draebt ved angrebet paa israel", "1160 personer"),
    ("hvornaar skal gallant moedes med sullivan", "tirsdag"),
    ("hvad kraever resolutionen", ("øjeblikkelig våbenhvile", "frigive de omkring 130")),
    ("hvem er israels forsvarsminister", "Yoav Gallant"),
    ("hvor mange har modangrebet draebt", "mere end 32.000"),
]

TYPO = [
    ("hvem er talsmnad for det hvide hus", "John Kirby"),
    ("hvor mange gidslr er der i gaza", "omkring 130 gidsler"),
    ("hvem er israels premierministr", "Benjamin Netanyahu"),
    ("hvornår skal gallant mødes med sulivan", "tirsdag"),
    ("hvad siger netanyhau om usa", "skader Israels kamp"),
]

# A bare word is no question: the decision is fitted on questions, and small talk of one
# word ("tak", "hej") is what it learnt to decline. A bare name still gets the sentence
# as the first alternative (see test_a_declined_bare_word_offers_the_sentence).
BARE_WORD = "a bare word is declined unless it is a full name or a number (issue 15's fit)"

KEYWORD = [
    known_gap("Kirby", "Kirby", BARE_WORD),
    known_gap("Netanyahu", "Netanyahu", BARE_WORD),
    ("Pat Ryder", "Pat Ryder"),
    ("Jake Sullivan", "Jake Sullivan"),
    ("Yoav Gallant", "Gallant"),
    ("sikkerhedsrådgiver", "sikkerhedsrådgiver"),
    known_gap("våbenhvile", "våbenhvile", BARE_WORD),
    ("1160", "1160 personer"),
]

ADDRESSED = [
    ("@faktabot hvem er Det Hvide Hus' talsmand", "John Kirby"),
    ("@faktabot hvor mange gidsler sidder i Gaza?", "omkring 130 gidsler"),
    ("hvornår blev gidslerne taget @faktabot", "Gidslerne blev taget"),
    ("/spoerg hvor mange gidsler holder Hamas i Gaza", "omkring 130 gidsler"),
    ("/spoerg@faktabot hvornår blev gidslerne taget?", "Gidslerne blev taget"),
    ("/spoerg@faktabot Hvem er Pentagons talsmand?", "Pat Ryder"),
    # a greeting or a polite lead-in is not part of the question
    ("Hej @faktabot, hvad hedder Det Hvide Hus' talsmand?", "John Kirby"),
    ("Godaften! Hvornår blev gidslerne taget?", "Gidslerne blev taget"),
    ("@faktabot kan du sige mig, hvor mange gidsler der er i Gaza?", "omkring 130 gidsler"),
    ("hej, hvor mange gidsler befinder sig i Gaza?", "omkring 130 gidsler"),
]

OFF_TOPIC = [
    "Hvad er hovedstaden i Frankrig?",
    "hej",
    "asdfghjkl",
    "Hvordan bager man boller?",
    "Hvem vandt VM i fodbold i 2022?",
    "Hvad koster en liter mælk?",
    "Hvor mange øjne har en flue?",
    "Hvornår åbner Tivoli?",
    "tak for hjælpen",
    # near the article's topic, but the article does not say
    "Hvem er Danmarks statsminister?",
    "Hvornår blev Hamas stiftet?",
    "Hvem er Israels ambassadør i Danmark?",
    "Hvor mange indbyggere har Gaza?",
    "Hvad hedder Frankrigs forsvarsminister?",
]


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    """The seed article, shared: asking does not change the store."""
    return Knowledge(Store.open(":memory:"))


def assert_answers(kb: Knowledge, question: str, expected: str | tuple[str, ...]) -> None:
    accepted = (expected,) if isinstance(expected, str) else expected
    result = kb.ask(question)
    assert result.answer is not None, (
        f"declined (confidence {result.explanation.confidence}); "
        f"closest: {[h.fact.text for h in result.alternatives[:1]]}"
    )
    assert any(a in result.answer.fact.text for a in accepted), result.answer.fact.text


def answerable():
    """Every table's cases as (kind, question, expected), keeping their xfail marks."""
    tables = {
        "paraphrase": PARAPHRASE,
        "synonym": SYNONYM,
        "no æøå": WITHOUT_DANISH_LETTERS,
        "typo": TYPO,
        "keyword": KEYWORD,
        "addressed": ADDRESSED,
    }
    for kind, table in tables.items():
        for case in table:
            values, marks = (case.values, case.marks) if hasattr(case, "marks") else (case, ())
            yield pytest.param(kind, *values, marks=marks, id=f"{kind}: {values[0]}")


@pytest.mark.parametrize("kind,question,expected", list(answerable()))
def test_answerable(kb, kind, question, expected):
    assert_answers(kb, question, expected)


@pytest.mark.parametrize("word,expected", [("Kirby", "Kirby"), ("våbenhvile", "våbenhvile")])
def test_a_declined_bare_word_offers_the_sentence(kb, word, expected):
    result = kb.ask(word)
    shown = [result.answer.fact] if result.answer else []
    shown += [hit.fact for hit in result.alternatives]
    assert expected in shown[0].text


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_is_declined(kb, question):
    result = kb.ask(question)
    assert result.answer is None, result.answer.fact.text


@pytest.mark.parametrize(
    "question,problem",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("@faktabot", "empty"),
        ("/spoerg@faktabot", "empty"),
        ("x" * 10_000, "too_long"),
        ("😀😀😀", "no_words"),
        ("?!.", "no_words"),
        ("hvem hvad hvor", "no_words"),  # only question and stop words
    ],
)
def test_unusable_questions_say_why(kb, question, problem):
    result = kb.ask(question)
    assert result.answer is None
    assert result.problem == problem


def test_the_same_question_gets_the_same_answer(kb):
    first = kb.ask("Hvor mange gidsler holder Hamas i Gaza?")
    again = kb.ask("Hvor mange gidsler holder Hamas i Gaza?")
    assert first.answer == again.answer
    assert first.alternatives == again.alternatives


def test_alternatives_are_other_sentences(kb):
    result = kb.ask("Hvem er talsmand for Pentagon?")
    texts = [h.fact.text for h in result.alternatives]
    assert result.answer.fact.text not in texts
    assert len(texts) == len(set(texts)) <= 3


def test_a_declined_question_still_offers_the_closest_facts(kb):
    result = kb.ask("Hvem er Israels ambassadør i Danmark?")
    assert result.answer is None
    assert result.alternatives
    assert all("Israel" in h.fact.text for h in result.alternatives)


def test_every_answer_carries_its_source(kb):
    questions = [
        "Hvem er talsmand for Pentagon?",
        "Hvor mange gidsler befinder sig i Gaza?",
        "Hvorfor blev besøget annulleret?",
        "Kirby",
        "Hvem er Israels ambassadør i Danmark?",  # declined: the alternatives carry it too
    ]
    for question in questions:
        result = kb.ask(question)
        answer = [result.answer.fact] if result.answer else []
        for fact in answer + [h.fact for h in result.alternatives]:
            article = fact.article
            assert article.id == 1
            assert article.title
            assert article.date == "2024-03"


@pytest.mark.parametrize("limit", [1, 3, 5, 50])
def test_search_returns_at_most_limit_distinct_facts(kb, limit):
    hits = kb.search("Hvad siger Kirby om gidsler og våbenhvile i Gaza?", limit=limit)
    assert 1 <= len(hits) <= limit
    assert len({h.fact.id for h in hits}) == len(hits)
    assert len({h.fact.text for h in hits}) == len(hits)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_search_of_nothing_finds_nothing(kb):
    assert kb.search("", limit=5) == []
    assert kb.search("asdfghjkl", limit=5) == []


def test_repeated_sentences_are_offered_once(empty_kb):
    repeated = "Ved angrebet blev 1160 personer dræbt ifølge israelske tal."
    list(
        empty_kb.ingest(
            [
                ArticleInput(f"Første artikel om krigen. {repeated}", title="A"),
                ArticleInput(f"Anden artikel om krigen. {repeated}", title="B"),
            ]
        )
    )
    hits = empty_kb.search("Hvor mange blev dræbt ved angrebet?", limit=10)
    assert [h.fact.text for h in hits].count(repeated) == 1
    result = empty_kb.ask("Hvor mange blev dræbt ved angrebet?")
    assert result.answer.fact.text == repeated
    assert repeated not in [h.fact.text for h in result.alternatives]


# -- invariant: answers are quoted, never made up ----------------------------------------

SEED = seed_text()
SEED_WORDS = sorted({w.strip(".,:;\"'-?") for w in SEED.split()} - {""})
NOISE = st.sampled_from(
    ["hvem", "hvor mange", "hvornår", "hvad", "@faktabot", "/spoerg", "?", "draebt", "xq", "42"]
)


@settings(max_examples=60)
@given(st.lists(st.one_of(st.sampled_from(SEED_WORDS), NOISE), min_size=1, max_size=8))
def test_every_quoted_sentence_is_verbatim_from_the_article(kb, parts):
    result = kb.ask(" ".join(parts))
    facts = [h.fact for h in result.alternatives]
    if result.answer is not None:
        facts.append(result.answer.fact)
        if result.answer.span is not None:
            start, end = result.answer.span
            assert 0 <= start < end <= len(result.answer.fact.text)
    for fact in facts:
        assert fact.text and fact.text in SEED
        assert fact.text == fact.text.strip()


@pytest.mark.parametrize(
    "question", ["Hvor mange gidsler sidder stadig i Gaza?", "Hvem er Israels statsoverhoved?"]
)
def test_scores_share_one_scale(seed_kb, question):
    # The answer (or the best alternative) carries the confidence; the rest a share of it.
    result = seed_kb.ask(question)
    scores = [h.score for h in result.alternatives]
    if result.answer is not None:
        scores = [result.answer.score, *scores]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] == pytest.approx(result.explanation.confidence, abs=1e-3)


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(
            "Hvor mange mål scorede Messi?",
            marks=pytest.mark.xfail(
                strict=False,
                reason="with one article indexed the decision is lenient: answered at 0.43 "
                "against 0.39 though Messi is lacking",
            ),
        ),
        "Hvornår blev Pentagon bygget?",
        "Hvem vandt valget?",
    ],
)
def test_a_question_mostly_about_unknown_things_is_declined(seed_kb, question):
    # One ordinary word in common ("mål", "Pentagon") is not a match for the question.
    assert seed_kb.ask(question).answer is None


def test_a_number_with_a_thousands_separator_is_a_known_word(seed_kb):
    result = seed_kb.ask("32.000 dræbt i Gaza")
    assert result.answer is not None and "32.000" in result.answer.fact.text
    assert result.explanation.missing == ()


def test_only_candidates_close_to_the_best_get_the_second_pass():
    # Forty sentences hold "elefanten"; one also holds "Bent" and "hø". The first pass
    # puts it far ahead, so only `min_rerank` candidates are reranked; with a wide margin,
    # as many as `max_rerank`.
    kb = Knowledge(Store.open(":memory:", seed=False))
    others = [ArticleInput(f"Elefanten i zoo nummer {n} sov længe.") for n in range(40)]
    list(kb.ingest([ArticleInput("Elefanten Bent spiser hø hver dag."), *others]))
    query = analyse("Hvor meget hø spiser elefanten Bent?", kb.view, kb.synonyms)

    params = Params.bundled().rank

    def reranked(params: RankParams) -> int:
        ranked = match.rank(kb.store, kb.view, query, params=params)
        assert ranked[0].text.startswith("Elefanten Bent")
        return sum("fuzz" in c.features for c in ranked)

    assert reranked(params) == params.min_rerank
    assert reranked(replace(params, within=100.0)) == params.max_rerank


def _order_of(kb: Knowledge, question: str, sentence: str) -> float:
    query = analyse(question, kb.view, kb.synonyms)
    ranked = match.rank(kb.store, kb.view, query)
    return next(c.features["order"] for c in ranked if c.text == sentence)


SOLD = "Hvem solgte kagen til borgmesteren?"


@pytest.mark.parametrize(
    "sentence,credited",
    [
        ("Kagen til borgmesteren blev solgt i går.", True),  # a stop word between is no gap
        ("Bageren solgte borgmesteren en kage.", True),  # "kagen" skipped: one word between
        ("Borgmesteren og kagen var væk.", False),  # the pair in the other order
        ("Kagen til den glade borgmester var væk.", False),  # a word between them
        ("Kagen smagte godt.", False),  # one question word is no pair
    ],
)
def test_word_order_credits_question_words_side_by_side(empty_kb, sentence, credited):
    list(empty_kb.ingest([ArticleInput(sentence), ArticleInput("Solen skinnede hele dagen.")]))
    assert (_order_of(empty_kb, SOLD, sentence) > 0) is credited


def test_the_sentence_keeping_the_question_word_order_ranks_first(empty_kb):
    # The same words in each sentence, each its own article: only their order differs.
    # The scattered one is stored first, so on a tie it would win.
    scattered = "Borgmesteren i Skagen solgte bageren til kagen."
    kept = "Bageren i Skagen solgte kagen til borgmesteren."
    list(empty_kb.ingest([ArticleInput(scattered), ArticleInput(kept)]))
    query = analyse(SOLD, empty_kb.view, empty_kb.synonyms)
    assert _order_of(empty_kb, SOLD, scattered) == 0.0
    params = Params.bundled().rank
    assert params.weights["order"] > 0
    assert match.rank(empty_kb.store, empty_kb.view, query, params=params)[0].text == kept
    unordered = replace(params, weights={**params.weights, "order": 0.0})
    assert match.rank(empty_kb.store, empty_kb.view, query, params=unordered)[0].text == scattered
