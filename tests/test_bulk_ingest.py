"""Tests for the paths that keep faktabot fast on a large archive: batched ingest, the
stored fact totals behind BM25's average length, the per-word analysis cache and the
postings budget of the candidate look-up."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from faktabot.knowledge import ArticleInput, Knowledge, Store, analysis
from faktabot.knowledge.analysis import analyse_many, sentence_terms, split_terms
from faktabot.knowledge.bulk import Batching
from faktabot.knowledge.match import (
    Candidate,
    _credit,
    _sum_by_fact,
    _top,
    candidates,
    fetch,
    parse_row,
    rank,
    rescore,
    score,
    surroundings,
    word_idf,
)
from faktabot.knowledge.normalize import normalize_text, tokens
from faktabot.knowledge.params import Params
from faktabot.knowledge.query import analyse
from faktabot.knowledge.segment import split_sentences
from faktabot.knowledge.view import IndexView, Limits
from faktabot.knowledge.writes import DEFAULT_BATCHING
from hypothesis import example, given, settings
from hypothesis import strategies as st
from store_checks import assert_index_consistent

BULK_ARTICLES = DEFAULT_BATCHING.bulk_articles
ZOO = "Københavns Zoo har fået en ny elefant. Den hedder Bent.\n\nBent spiser 150 kilo hø."


def article(i: int, sentences: int = 3) -> ArticleInput:
    body = " ".join(f"Artikel {i} siger sætning nummer {j} om havnen." for j in range(sentences))
    return ArticleInput(body, title=f"Nummer {i}")


def test_many_articles_land_whole_with_their_facts_in_order():
    store = Store.open(":memory:", seed=False)
    two_batches = DEFAULT_BATCHING.sentences // 7 + 5
    items = [article(i, sentences=7) for i in range(two_batches)]
    results = list(store.add_many(items))
    assert [r.added for r in results] == [True] * len(items)
    assert [r.article.facts for r in results] == [7] * len(items)
    rows = store.db.execute("SELECT id, article_id, position FROM facts ORDER BY id").fetchall()
    # Facts of an article are consecutive ids in sentence order (the matcher relies on it).
    ids = {r.article.id: [] for r in results}
    for fid, aid, position in rows:
        ids[aid].append((fid, position))
    for facts in ids.values():
        assert [p for _, p in facts] == list(range(7))
        assert [f for f, _ in facts] == list(range(facts[0][0], facts[0][0] + 7))
    assert_index_consistent(store)


def varied(i: int) -> ArticleInput:
    """Articles unlike each other, with paragraphs, so every column of a fact varies."""
    body = (
        f"Borgmester nr. {i} åbnede {i * 7} nye cykelstier i Århus. Det kostede {i},5 mio. kr."
        f"\n\nKritikerne i {i}. kreds siger, at FN's rapport om trafiksikkerhed blev ignoreret."
    )
    return ArticleInput(body, title=None if i % 3 else f"Titel {i}", url=f"https://x.dk/{i}")


def content(store: Store) -> tuple[list, list, list]:
    one = store.db.execute
    return (
        one(
            'SELECT id, article_id, position, paragraph, start, "end", text, norm, terms, parts'
            " FROM facts ORDER BY id"
        ).fetchall(),
        one("SELECT norm, raw, df FROM words ORDER BY norm").fetchall(),
        one("SELECT id, title, date, url, hash, text FROM articles ORDER BY id").fetchall(),
    )


@pytest.fixture
def switch_interval():
    """A switch interval of this test's own, so that an ingest that does not restore it shows."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.004)
    yield 0.004
    sys.setswitchinterval(before)


def test_a_bulk_ingest_stores_what_one_article_at_a_time_stores(tmp_path, switch_interval):
    """The worker-process path must give the same ids, rows and word counts as `add`."""
    small = Batching(sentences=50)  # several transactions
    items = [varied(i) for i in range(3 * BULK_ARTICLES)]
    items[70] = items[5]  # a repeat within the ingest
    known = ArticleInput(ZOO)
    one_by_one = Store.open(tmp_path / "one.db")
    bulk = Store.open(tmp_path / "bulk.db")
    for store in (one_by_one, bulk):
        store.add(known)  # stored before the bulk ingest began
    expected = [one_by_one.add(item) for item in [known, *items]]
    children = []
    results = []
    for result in bulk.add_many([known, *items], batching=small):
        children.extend(multiprocessing.active_children())
        results.append(result)
    assert children  # the analysis did run in a worker
    assert sys.getswitchinterval() == switch_interval  # shortened during the ingest only
    assert results == expected
    assert content(bulk) == content(one_by_one)
    assert bulk.fact_stats() == one_by_one.fact_stats()
    assert_index_consistent(bulk)


class SlowWorker:
    """Analysis that takes its time in the ingest worker (not in the writing process) and
    leaves a mark when it has analysed `last`. Module-level: the worker is sent it by name."""

    parent = 0
    mark: Path | None = None
    last = ""


def slow_in_worker(texts: list[str]) -> list:
    """`analyse_many`, 0.3 s slower in the worker process."""
    if os.getpid() != SlowWorker.parent:
        time.sleep(0.3)
    if SlowWorker.last in texts:
        SlowWorker.mark.touch()
    return analyse_many(texts)


def test_a_bulk_ingest_writes_what_is_ready_while_the_worker_finishes(tmp_path, monkeypatch):
    """Once the input is used up, articles analysed so far are written while the worker
    still analyses the rest, not all at the end: the last transaction is then small."""
    chunk = sum(len(split_sentences(varied(i).text)) for i in range(BULK_ARTICLES // 2))
    batching = Batching(  # no batch fills up
        sentences=10**9, chunk_articles=BULK_ARTICLES // 2, early_sentences=chunk + 1
    )
    monkeypatch.setattr(SlowWorker, "parent", os.getpid())
    monkeypatch.setattr(SlowWorker, "mark", tmp_path / "last chunk analysed")
    monkeypatch.setattr(SlowWorker, "last", varied(3 * BULK_ARTICLES - 1).text)
    monkeypatch.setattr("faktabot.knowledge.bulk.analyse_many", slow_in_worker)
    store = Store.open(tmp_path / "k.db", seed=False)
    transactions = []
    write = Store._write
    monkeypatch.setattr(
        Store, "_write", lambda self, batch: transactions.append(batch) or write(self, batch)
    )
    landed_before_the_end = None
    results = []
    for result in store.add_many([varied(i) for i in range(3 * BULK_ARTICLES)], batching=batching):
        if landed_before_the_end is None:
            landed_before_the_end = not SlowWorker.mark.exists()
        results.append(result)
    assert landed_before_the_end
    # Written early, but never less than EARLY_WRITE_SENTENCES: not a transaction a chunk.
    assert all(sum(len(p.rows) for p in batch) > chunk for batch in transactions[:-1])
    assert 2 <= len(transactions) < 6
    assert [r.article.id for r in results] == list(range(1, 3 * BULK_ARTICLES + 1))
    assert SlowWorker.mark.exists() and store.counts()["articles"] == 3 * BULK_ARTICLES


def test_a_failing_write_stops_the_worker_at_once(tmp_path, monkeypatch, switch_interval):
    """The worker and the switch interval do not wait for the failed ingest to be collected."""
    small = Batching(sentences=50)
    store = Store.open(tmp_path / "k.db", seed=False)
    write = Store._write

    def full_disk(self, batch):
        if store.counts()["articles"]:
            raise sqlite3.OperationalError("database or disk is full")
        return write(self, batch)

    monkeypatch.setattr(Store, "_write", full_disk)
    with pytest.raises(sqlite3.OperationalError) as failure:
        for _ in store.add_many([varied(i) for i in range(3 * BULK_ARTICLES)], batching=small):
            pass
    assert failure.value  # the exception, and the frames it holds, are still alive here
    assert multiprocessing.active_children() == []
    assert sys.getswitchinterval() == switch_interval


def test_a_small_ingest_stays_in_this_process():
    store = Store.open(":memory:", seed=False)
    for _ in store.add_many([varied(i) for i in range(BULK_ARTICLES - 1)]):
        assert multiprocessing.active_children() == []


def test_a_process_with_threads_does_not_fork_for_a_bulk_ingest():
    """Forking beside other threads (the bot) can copy a held lock; such ingests stay here."""
    small = Batching(sentences=50)
    store = Store.open(":memory:", seed=False)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        for _ in store.add_many([varied(i) for i in range(3 * BULK_ARTICLES)], batching=small):
            assert multiprocessing.active_children() == []
    finally:
        stop.set()
        other.join()
    assert store.counts()["articles"] == 3 * BULK_ARTICLES


@pytest.mark.parametrize("where", ["input", "analysis"])
def test_a_failing_bulk_ingest_leaves_only_whole_articles(
    tmp_path, monkeypatch, where, switch_interval
):
    """Input or analysis that breaks off mid-way: what landed is whole, the rest is absent,
    and no worker process is left behind."""
    small = Batching(sentences=50)

    def articles():
        for i in range(1000):
            if i == 900 and where == "input":  # after more than the worker is given ahead
                raise OSError("the file went away")
            yield varied(i)

    def breaking(sentence: str):
        if "Borgmester nr. 900 " in sentence:  # in the worker or in this process
            raise OSError("the analysis went away")
        return sentence_terms(sentence)

    monkeypatch.setattr("faktabot.knowledge.analysis.sentence_terms", breaking)
    store = Store.open(tmp_path / "k.db", seed=False)
    with pytest.raises(OSError, match="went away"):
        for _ in store.add_many(articles(), batching=small):
            pass
    assert multiprocessing.active_children() == []
    assert sys.getswitchinterval() == switch_interval
    stored = store.counts()
    # How many batches landed before the failure depends on how far the worker had read
    # ahead, so the count is not fixed; that each one is whole is.
    assert stored["articles"] < 900
    reference = Store.open(":memory:", seed=False)
    for i in range(stored["articles"]):
        reference.add(varied(i))
    # Every stored article has all its facts and words; the totals agree with them.
    assert content(store) == content(reference)
    assert store.fact_stats() == store.count_stats() == reference.fact_stats()


def test_the_same_text_twice_in_one_batch_is_stored_once():
    store = Store.open(":memory:", seed=False)
    first, again = list(store.add_many([ArticleInput(ZOO), ArticleInput(ZOO.upper())]))
    assert first.added and not again.added
    assert again.article.id == first.article.id
    assert store.counts()["articles"] == 1


def test_words_count_the_sentences_that_hold_them_across_a_batch():
    store = Store.open(":memory:", seed=False)
    list(store.add_many([ArticleInput(ZOO), article(1), article(2)]))
    df = dict(store.db.execute("SELECT norm, df FROM words").fetchall())
    assert df["bent"] == 2  # two sentences of the zoo article
    assert df["havnen"] == 6  # every sentence of both other articles
    raw = dict(store.db.execute("SELECT norm, raw FROM words").fetchall())
    assert raw["koebenhavns"] == "københavns"


@pytest.mark.parametrize("forms", [("Aarhus", "Århus"), ("Århus", "Aarhus")])
@pytest.mark.parametrize("apart", [False, True])
def test_the_typo_list_keeps_the_form_a_word_was_first_written_in(forms, apart):
    sentences = [f"Koncerten i {form} var udsolgt i går." for form in forms]
    texts = sentences if apart else [" ".join(sentences)]
    store = Store.open(":memory:", seed=False)
    list(store.add_many(ArticleInput(text) for text in texts))
    [(raw, df)] = store.db.execute("SELECT raw, df FROM words WHERE norm = 'aarhus'").fetchall()
    assert (raw, df) == (forms[0].lower(), 2)


def test_stored_totals_follow_adds_and_removals(tmp_path):
    kb = Knowledge.open(tmp_path / "k.db")
    store = kb.store
    assert store.fact_stats() == store.count_stats()
    added = list(kb.ingest([ArticleInput(ZOO), article(1), article(2, sentences=40)]))
    assert store.stored_stats() == store.count_stats()
    kb.remove(added[0].article.id)
    assert store.stored_stats() == store.count_stats()
    facts, words = store.fact_stats()
    assert facts == store.counts()["facts"] and words > facts


def test_totals_from_another_writer_are_counted_afresh(tmp_path):
    """A write that does not keep the totals (an older faktabot) must not leave them stale."""
    store = Store.open(tmp_path / "k.db")
    store.db.execute("DELETE FROM facts WHERE position > 2")
    store.db.execute("UPDATE articles SET title = 'Ny titel'")  # moves the content version
    assert store.stored_stats() is None
    assert store.fact_stats() == store.count_stats() == (3, store.count_stats()[1])


def test_the_index_view_reads_the_stored_totals(tmp_path):
    kb = Knowledge.open(tmp_path / "k.db")
    list(kb.ingest([article(i) for i in range(5)]))
    view = IndexView(kb.store)
    facts, words = kb.store.count_stats()
    assert view.n_facts == facts
    assert view.avg_len == pytest.approx(words / facts)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_sentence_terms_norm_is_normalize_text(text):
    assert sentence_terms(text).norm == normalize_text(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
@example("Bent\u037a kom til Odense.")  # "ͺ" folds to a space and a mark
def test_stored_terms_split_back_into_one_group_of_keys_a_word(text):
    # The matcher reads a fact's words back from its stored terms (`split_terms`) and counts
    # them by their spaces: a key must never be empty or hold whitespace.
    analysed = sentence_terms(text)
    groups = split_terms(analysed.terms)
    assert " ".join("|".join(keys) for keys in groups) == analysed.terms
    assert all(key and key.split() == [key] for keys in groups for key in keys)


def test_the_word_cache_stays_bounded_and_gives_the_same_terms(monkeypatch):
    text = "Elefanten Bent fik 32.000 besøg i Århus' havn af FN's turister i 2024."
    first = sentence_terms(text)
    monkeypatch.setattr("faktabot.knowledge.analysis.WORD_CACHE", 3)
    analysis._analysed.clear()  # every word is met anew, with room for 3
    again = [sentence_terms(text) for _ in range(3)]
    assert all(a == first and list(a.words) == list(first.words) for a in again)
    assert len(analysis._analysed) <= 3


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["FN's", "Hamas'", "32.000", "3,5", "rock'n'roll", "og", "dræbt", "Ærø"]),
        max_size=12,
    )
)
def test_cached_word_analysis_matches_the_sentence_tokens(words):
    text = " ".join(words)
    analysed = sentence_terms(text)
    assert analysed.norm.split() == [t.norm for t in tokens(text)]


def test_frequent_keys_are_left_out_of_the_lookup_but_the_rarest_stays():
    store = Store.open(":memory:", seed=False)
    common = [ArticleInput(f"Havnen i {n} fik besøg af turister.") for n in range(60)]
    list(store.add_many([*common, ArticleInput("Elefanten Bent fik besøg i havnen.")]))
    kb = Knowledge(store)
    view = kb.view
    query = analyse("Hvem fik besøg i havnen af elefanten?", view, kb.synonyms)
    keys = view.match_keys(query.keys(), budget=10)
    assert keys and all(view.df(k) <= 1 for k in keys)  # only the elephant's keys
    assert view.match_keys(query.keys(), budget=1) == keys[:1]
    every = query.keys()
    assert set(view.match_keys(every, budget=10**6)) == {k for k in every if view.df(k)}


def test_the_words_own_keys_come_before_rarer_synonyms():
    # "omkom" (a synonym of "dræbt") is rarer than "dræbt" itself, yet when the budget
    # holds only one of them the question's own word is the one looked up.
    store = Store.open(":memory:", seed=False)
    killed = [ArticleInput(f"I år {n} blev tre dræbt ved havnen.") for n in range(5)]
    list(store.add_many([*killed, ArticleInput("To omkom i stormen.")]))
    kb = Knowledge(store)
    query = analyse("Hvor mange blev dræbt?", kb.view, kb.synonyms)
    own, every = query.own_keys(), query.keys()
    assert kb.view.match_keys(every, budget=5)[0] not in own  # plain df order: a synonym
    chosen = query.match_keys(IndexView(store, limits=Limits(match_budget=5)))
    assert chosen and set(chosen) <= own
    # With room for all, the synonyms are looked up too.
    assert set(kb.view.match_keys(own, budget=10**6, then=every)) == {
        k for k in every if kb.view.df(k)
    }


def test_frequent_keys_rank_but_do_not_bring_in_candidates():
    store = Store.open(":memory:", seed=False)
    common = [ArticleInput(f"Havnen i {n} fik besøg af turister.") for n in range(60)]
    elephants = [ArticleInput("Elefanten Bent sov."), ArticleInput("Elefanten fik besøg i havnen.")]
    other = [ArticleInput(f"Vejret var fint på dag {n}.") for n in range(600)]
    list(store.add_many([*common, *elephants, *other]))
    kb = Knowledge(store)
    query = analyse("Hvem fik besøg i havnen af elefanten?", kb.view, kb.synonyms)
    everything = candidates(store, query, limit=100, view=kb.view)
    assert len(everything) == 62
    view = IndexView(store, limits=Limits(match_budget=10))
    found = candidates(store, query, limit=100, view=view)
    assert {c.text for c in found} == {"Elefanten fik besøg i havnen.", "Elefanten Bent sov."}
    # Only sentences with the rare key come in; the frequent ones still order them.
    ranked = rank(store, view, query)
    assert [c.text for c in ranked] == ["Elefanten fik besøg i havnen.", "Elefanten Bent sov."]


def test_the_leading_article_is_searched_again_for_the_keys_left_out():
    # Its second sentence holds only frequent keys ("besøg", "havn"): the budget keeps
    # them from bringing in anything, yet in the article that holds the rare "elefant"
    # they find the sentence. The same words in the other articles stay out.
    store = Store.open(":memory:", seed=False)
    common = [ArticleInput(f"Havnen i {n} fik besøg af turister.") for n in range(60)]
    story = ArticleInput("Elefanten Bent sov i zoo. Senere fik havnen besøg af dyrepasserne.")
    list(store.add_many([*common, story]))
    kb = Knowledge(store)
    query = analyse("Hvem fik besøg i havnen af elefanten?", kb.view, kb.synonyms)
    view = IndexView(store, limits=Limits(match_budget=10))
    found = {c.text for c in candidates(store, query, limit=100, view=view)}
    assert found == {"Elefanten Bent sov i zoo.", "Senere fik havnen besøg af dyrepasserne."}
    alone = IndexView(store, limits=Limits(match_budget=10, leading_articles=0))
    assert {c.text for c in candidates(store, query, limit=100, view=alone)} == {
        "Elefanten Bent sov i zoo."
    }


def test_a_small_store_looks_up_every_key():
    kb = Knowledge(Store.open(":memory:"))
    view = kb.view
    query = analyse("Hvem er talsmand for Pentagon?", view, kb.synonyms)
    every = query.keys()
    assert set(view.match_keys(every)) == {k for k in every if view.df(k)}
    found = {c.fact_id for c in candidates(kb.store, query, limit=100, view=view)}
    match = " OR ".join(f'"{k}"' for k in every)
    sharing = kb.store.db.execute("SELECT rowid FROM facts_fts WHERE facts_fts MATCH ?", [match])
    assert found == {r[0] for r in sharing} and found


@pytest.mark.parametrize("kept", [0, 3, 20_000])
def test_every_candidate_survives_a_small_parsed_row_cache(kept):
    # The parsed-row cache may be cleared while a question's rows are read; none is lost.
    store = Store.open(":memory:", seed=False)
    list(store.add_many([ArticleInput(f"Elefanten nummer {n} sov i stalden.") for n in range(12)]))
    kb = Knowledge(store, limits=Limits(parsed_cache=kept))
    query = analyse("Hvor sov elefanten?", kb.view, kb.synonyms)
    found = candidates(store, query, limit=100, view=kb.view)
    assert len(found) == 12
    assert len(kb.search("Hvor sov elefanten?", limit=20)) == 12


def test_postings_cache_drops_its_oldest_lists_and_keeps_count():
    store = Store.open(":memory:", seed=False)
    words = ["elefant", "giraf", "zebra", "tiger", "panda"]
    items = [ArticleInput(f"En {w} nummer {n} sov.") for w in words for n in range(4)]
    list(store.add_many(items))
    kb = Knowledge(store, limits=Limits(postings_cache=10))
    view = kb.view
    keys = [analyse(w, view, kb.synonyms).words[0].base for w in words]
    lists = {k: view.postings(k) for k in keys}
    assert all(len(found) == 4 for found in lists.values())
    # Read back, each list is the same as from SQLite; the cache never holds more than 10.
    held = view._postings
    assert sum(len(v) for v in held.values()) == view._postings_held <= 10
    # The oldest went one by one: the two newest lists (8 ids) both stay.
    assert set(held) == {("tiger", "terms"), ("panda", "terms")}
    assert view.postings("elefant").tolist() == lists["elefant"].tolist()


def test_parsed_row_cache_drops_an_eighth_at_a_time():
    store = Store.open(":memory:", seed=False)
    view = Knowledge(store, limits=Limits(parsed_cache=16)).view
    for fact_id in range(40):
        view.parsed(fact_id, (fact_id,), lambda row: row)
    kept = sorted(view._parsed)
    assert len(kept) <= 16 and kept[-1] == 39  # the newest stay
    assert len(kept) >= 14  # only a few went at a time, not the whole cache


@settings(max_examples=300)
@given(
    st.dictionaries(st.integers(0, 5_000), st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])),
    st.integers(1, 40),
)
def test_top_n_is_the_head_of_the_full_order(scores, n):
    # Scores tie a lot (few distinct values): the cut must keep every tie at the n-th score
    # and break ties by id, exactly as sorting everything would.
    everything = sorted(scores, key=lambda f: (-scores[f], f))
    ids = np.array(sorted(scores), dtype=np.int64)
    values = np.array([scores[f] for f in ids.tolist()])
    assert ids[_top(ids, values, n)].tolist() == everything[:n]


@settings(max_examples=300)
@given(
    st.lists(
        st.dictionaries(st.integers(0, 300), st.floats(0.01, 30, allow_nan=False), max_size=60),
        min_size=1,
        max_size=6,
    )
)
def test_sums_by_fact_are_the_sums_of_a_loop_over_the_words(words):
    # Bit for bit: a fact's sum is added up in word order, as a dictionary loop adds it.
    expected: dict[int, float] = {}
    for earned in words:
        for fact, value in earned.items():
            expected[fact] = expected.get(fact, 0.0) + value
    ids = np.array([f for earned in words for f in sorted(earned)], dtype=np.int64)
    values = np.array([earned[f] for earned in words for f in sorted(earned)])
    facts, held = _sum_by_fact(ids, values)
    assert dict(zip(facts.tolist(), held.tolist(), strict=True)) == expected
    assert facts.tolist() == sorted(expected)


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.sets(st.integers(0, 200), max_size=40), st.sampled_from([0.3, 0.5, 0.8, 1.0])),
        min_size=0,
        max_size=5,
    )
)
def test_a_words_credit_is_its_best_source_for_each_fact(sources):
    best: dict[int, float] = {}
    for holding, weight in sources:
        for fact in holding:
            best[fact] = max(best.get(fact, 0.0), weight)
    arrays = [(np.array(sorted(h), dtype=np.int64), w) for h, w in sources]
    facts, weights = _credit(arrays)
    assert facts.tolist() == sorted(best)
    assert dict(zip(facts.tolist(), weights.tolist(), strict=True)) == best


def test_the_second_pass_reads_candidates_weights_as_if_it_weighed_them_afresh():
    # Sentences around a candidate that are candidates themselves take their word weights
    # from the first pass; fresh copies of them, weighed from scratch, give the same features.
    kb = Knowledge(Store.open(":memory:"))
    question = "Hvornår skal Gallant mødes med forsvarsminister Lloyd Austin?"
    query = analyse(question, kb.view, kb.synonyms)
    idfs = [word_idf(w, kb.view) for w in query.words]
    found = candidates(kb.store, query, limit=100, view=kb.view)
    score(query, kb.view, found, idfs)
    head = found[:10]
    known = {c.fact_id: c for c in found}
    around = surroundings(kb.store, head, known=known, view=kb.view)
    assert any(o.features for o in around)  # some are candidates
    fresh = fetch(kb.store, [o.fact_id for o in around], kb.view)
    twins = [Candidate(parse_row(_row(kb.store, c.fact_id))) for c in head]
    for twin, cand in zip(twins, head, strict=True):
        twin.matched, twin.features = dict(cand.matched), dict(cand.features)
    weights = dict(Params.bundled().rank.weights)
    rescore(query, idfs, head, around, weights=weights)
    rescore(query, idfs, twins, fresh, weights=weights)
    assert [c.features for c in head] == [t.features for t in twins]


def _row(store: Store, fact_id: int) -> tuple:
    return store.db.execute(
        "SELECT f.id, f.article_id, f.position, f.paragraph, f.text, f.norm, f.terms, f.parts"
        " FROM facts f WHERE f.id = ?",
        [fact_id],
    ).fetchone()


def test_postings_are_the_facts_holding_the_key_in_ascending_order():
    store = Store.open(":memory:")
    list(store.add_many([ArticleInput(f"Elefanten nummer {n} sov i stalden.") for n in range(60)]))
    view = Knowledge(store).view
    rows = store.db.execute(
        "SELECT rowid FROM facts_fts WHERE facts_fts MATCH ? ORDER BY rowid", ['terms : "sov"']
    ).fetchall()
    assert view.postings("sov").tolist() == [r[0] for r in rows] and len(rows) == 60
    assert view.postings("ukendtord").tolist() == []


def test_merging_the_index_leaves_one_segment_and_the_same_postings(tmp_path):
    small = Batching(sentences=20)  # many transactions
    store = Store.open(tmp_path / "k.db", seed=False)
    list(store.add_many([varied(i) for i in range(2 * BULK_ARTICLES)], batching=small))
    key = sentence_terms("cykelstier").terms.split("|")[0]
    before = Knowledge(store).view.postings(key)
    segments = store.index_segments()
    assert segments > 1  # an ingest leaves FTS5's own merging alone
    assert store.optimize_index() == segments
    assert store.index_segments() == 1
    assert_index_consistent(store)
    after = Knowledge(store).view.postings(key)
    assert after.tolist() == before.tolist() and len(before) == 2 * BULK_ARTICLES
