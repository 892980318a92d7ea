"""Tests for knowledge.store: the SQLite store of articles, facts, words and the FTS index."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils
from faktabot.knowledge import ArticleInput, Knowledge, NotFoundError, Store, analysis
from faktabot.knowledge.analysis import content_hash
from faktabot.knowledge.database import PAGE_BYTES
from faktabot.knowledge.errors import SchemaError, StorageError
from faktabot.knowledge.lexicon import DATA
from faktabot.knowledge.parse import read_articles
from faktabot.knowledge.schema import MIGRATIONS, SCHEMA_VERSION, statements
from faktabot.knowledge.store import seed_text
from hypothesis import given, settings
from hypothesis import strategies as st
from store_checks import assert_index_consistent

ELEPHANT = (
    "Københavns Zoo har fået en ny elefant. Den hedder Bent og vejer 3.000 kilo.\n\n"
    "Dyrepasseren siger, at elefanten spiser 150 kilo hø om dagen."
)


def counts(store: Store) -> dict[str, int]:
    return store.counts()


def fts_rowids(store: Store, word: str) -> list[int]:
    """Rows the full-text index itself (not the facts table) holds for a key."""
    rows = store.db.execute(
        "SELECT rowid FROM facts_fts WHERE facts_fts MATCH ?", [f'"{word}"']
    ).fetchall()
    return [r[0] for r in rows]


# -- the seed ----------------------------------------------------------------------------


def test_a_fresh_database_holds_the_seed_article(db_path):
    store = Store.open(db_path)
    [article] = store.articles()
    assert article.date == "2024-03"
    assert article.facts == 15
    assert "Det Hvide Hus" in store.article_text(article.id)


def test_a_new_database_file_gets_large_pages_and_an_old_one_keeps_its_own(tmp_path):
    new, old = tmp_path / "new.db", tmp_path / "old.db"
    conn = sqlite3.connect(old)  # a file an earlier faktabot made, with SQLite's pages
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("CREATE TABLE scratch (x)")
    conn.close()
    sizes = {}
    for path in (new, old):
        store = Store.open(path)
        sizes[path] = store.db.execute("PRAGMA page_size").fetchone()[0]
        store.add(ArticleInput("Elefanten Bent kom til Odense i går. Han vejer tre tons."))
        assert_index_consistent(store)
        assert len(fts_rowids(store, "elefant")) == 1
    assert sizes == {new: PAGE_BYTES, old: 4096}


def test_the_seed_is_added_once(db_path):
    Store.open(db_path)
    Store.open(db_path)
    assert counts(Store.open(db_path))["articles"] == 1


def test_a_removed_seed_stays_removed(db_path):
    store = Store.open(db_path)
    store.remove(store.articles()[0].id)
    assert Store.open(db_path).articles() == []


def test_seed_false_starts_empty():
    assert counts(Store.open(":memory:", seed=False)) == {"articles": 0, "facts": 0, "words": 0}


# -- schema ------------------------------------------------------------------------------


def test_schema_version_is_set(db_path):
    Store.open(db_path)
    db = sqlite_utils.Database(db_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1


def test_a_file_database_uses_wal(db_path):
    store = Store.open(db_path)
    assert store.db.journal_mode == "wal"
    assert sqlite_utils.Database(db_path).journal_mode == "wal"


def test_a_newer_schema_is_refused(db_path):
    Store.open(db_path)
    sqlite_utils.Database(db_path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaError, match="newer"):
        Store.open(db_path)


@pytest.mark.skipif(SCHEMA_VERSION < 2, reason="no upgrade yet")
def test_a_version_1_database_is_upgraded_in_place(db_path):
    # Turn a current database into one the first release wrote: only the version 1 objects.
    scratch = sqlite_utils.Database(memory=True)
    MIGRATIONS[0].apply(scratch)
    listed = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    version_1 = set(scratch.execute(listed).fetchall())
    Store.open(db_path).db.conn.close()
    db = sqlite_utils.Database(db_path)
    current = set(db.execute(listed).fetchall())
    for kind in ("trigger", "table"):
        for _, name in sorted(o for o in current - version_1 if o[0] == kind):
            db.execute(f"DROP {kind.upper()} {name}")
    db.execute("PRAGMA user_version = 1")
    db.conn.close()

    store = Store.open(db_path)
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert set(store.db.execute(listed).fetchall()) == current
    assert counts(store)["articles"] == 1  # kept, and the seed not added again
    recorded = store.db.execute("SELECT version, name, applied FROM migrations").fetchall()
    assert [(v, n) for v, n, _ in recorded] == [(m.version, m.name) for m in MIGRATIONS]
    assert [v for v, _, applied in recorded if applied is None] == [1]  # before records
    assert Knowledge(store).ask("Hvem er talsmand for Pentagon?").answer is not None


def test_a_version_5_database_loses_its_row_by_row_index_trigger(db_path):
    # Up to schema 5 a trigger indexed each new fact; `_write` now indexes a whole batch,
    # so a trigger left behind would index every new fact twice.
    _written_then_changed(
        db_path,
        "CREATE TRIGGER facts_ai AFTER INSERT ON facts BEGIN"
        " INSERT INTO facts_fts(rowid, terms, parts) VALUES (new.id, new.terms, new.parts); END",
        "PRAGMA user_version = 5",
    )
    store = Store.open(db_path)
    triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'facts'"
    assert [r[0] for r in store.db.execute(triggers)] == ["facts_ad"]
    store.add(ArticleInput("Elefanten Bent kom til Odense i går. Han vejer tre tons."))
    assert_index_consistent(store)
    assert len(fts_rowids(store, "elefant")) == 1


def test_a_migration_script_splits_into_whole_statements():
    trigger = "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN\n    SELECT 1;\n    SELECT 2;\nEND;"
    script = f"CREATE TABLE t (x);\n{trigger}\nINSERT INTO t VALUES (';');\n"
    assert statements(script) == ["CREATE TABLE t (x);", trigger, "INSERT INTO t VALUES (';');"]


def test_a_new_database_records_every_migration_by_name(db_path):
    store = Store.open(db_path)
    recorded = store.db.execute("SELECT version, name, applied FROM migrations").fetchall()
    assert [(v, n) for v, n, _ in recorded] == [(m.version, m.name) for m in MIGRATIONS]
    assert all(applied for _, _, applied in recorded)
    assert len({m.name for m in MIGRATIONS}) == len(MIGRATIONS)


def test_a_failing_migration_leaves_the_database_as_it_was(db_path):
    # An index an operator made on a column that migration 10 drops makes the drop fail:
    # nothing of the upgrade may stay, and the data must still be there.
    _written_then_changed(
        db_path,
        "ALTER TABLE articles ADD COLUMN story REAL",
        "CREATE INDEX by_story ON articles(story)",
        "DROP TABLE migrations",
        "PRAGMA user_version = 9",
    )
    with pytest.raises(StorageError, match="story"):
        Store.open(db_path)
    assert _rows(db_path, "PRAGMA user_version") == [(9,)]
    assert _rows(db_path, "SELECT name FROM sqlite_master WHERE name = 'migrations'") == []
    assert _rows(db_path, "SELECT count(*) FROM articles") == [(1,)]


# -- ingest ------------------------------------------------------------------------------


def test_add_stores_article_facts_and_words(empty_kb):
    store = empty_kb.store
    result = store.add(ArticleInput(ELEPHANT, title="Ny elefant", date="2024-05-02"))
    assert result.added
    assert result.article.title == "Ny elefant"
    assert result.article.date == "2024-05-02"
    assert result.article.facts == 3
    assert counts(store)["facts"] == 3
    assert fts_rowids(store, "elefant")
    assert_index_consistent(store)


def test_an_article_without_title_is_named_by_its_first_words(empty_kb):
    article = empty_kb.store.add(ArticleInput(ELEPHANT)).article
    assert article.title.startswith("Københavns Zoo har fået")


@pytest.mark.parametrize(
    "again",
    [
        ELEPHANT,
        ELEPHANT.replace(" ", "  "),
        ELEPHANT.replace("\n\n", "\n"),
        "  " + ELEPHANT + "\n\n",
        ELEPHANT.replace(". ", ".\n"),
    ],
    ids=["same", "double spaces", "one newline", "padded", "line breaks"],
)
def test_the_same_text_twice_is_stored_once(empty_kb, again):
    store = empty_kb.store
    first = store.add(ArticleInput(ELEPHANT, title="Ny elefant"))
    before = counts(store)
    second = store.add(ArticleInput(again, title="Another title"))
    assert not second.added
    assert second.article == first.article
    assert counts(store) == before


def test_a_different_text_is_a_new_article(empty_kb):
    store = empty_kb.store
    store.add(ArticleInput(ELEPHANT))
    assert store.add(ArticleInput(ELEPHANT.replace("Bent", "Bodil"))).added
    assert counts(store)["articles"] == 2


def test_content_hash_ignores_whitespace_only():
    assert content_hash("a  b\n\nc") == content_hash(" a b c ")
    assert content_hash("a b c") != content_hash("a b d")


def test_shared_words_count_every_article(empty_kb):
    store = empty_kb.store
    store.add(ArticleInput("Elefanten Bent spiser hø. Den er glad."))
    store.add(ArticleInput("Elefanten Bodil spiser æbler. Hun er sulten."))
    df = dict(store.db.execute("SELECT norm, df FROM words").fetchall())
    assert df["elefanten"] == 2
    assert df["bent"] == df["bodil"] == 1


def test_jsonl_bulk_ingest(tmp_path, empty_kb):
    path = tmp_path / "articles.jsonl"
    records = [
        {"text": ELEPHANT, "title": "Ny elefant", "date": "2024-05-02"},
        {"text": "Regeringen vil bygge en ny bro over Storebælt. Den skal stå klar i 2035."},
        {"text": ELEPHANT},  # the same article again
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    results = list(empty_kb.ingest(read_articles(path)))
    assert [r.added for r in results] == [True, True, False]
    assert empty_kb.articles()[0].title == "Ny elefant"
    assert counts(empty_kb.store)["articles"] == 2
    assert empty_kb.ask("Hvornår skal broen over Storebælt stå klar?").answer is not None


def test_a_failing_write_leaves_nothing_behind(empty_kb):
    store = empty_kb.store
    store.add(ArticleInput("Elefanten Bent spiser hø. Den er glad."))
    before = counts(store)
    # Make the last write of Store.add (the word counts) fail, as a full disk would.
    store.db.execute(
        "CREATE TEMP TRIGGER fail_words BEFORE INSERT ON words"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.DatabaseError, match="disk full"):
        store.add(ArticleInput(ELEPHANT))
    store.db.execute("DROP TRIGGER fail_words")
    assert counts(store) == before
    assert fts_rowids(store, "kilo") == []
    assert_index_consistent(store)
    # and the same article can be stored afterwards
    assert store.add(ArticleInput(ELEPHANT)).added


# -- removal -----------------------------------------------------------------------------


def test_remove_deletes_facts_index_rows_and_words(seed_kb):
    store = seed_kb.store
    before = counts(store)
    article = store.add(ArticleInput(ELEPHANT, title="Ny elefant")).article
    assert seed_kb.search("elefant", limit=5)
    removed = seed_kb.remove(article.id)
    assert removed.id == article.id and removed.title == "Ny elefant"
    assert counts(store) == before
    assert fts_rowids(store, "elefant") == []
    assert store.db.execute("SELECT 1 FROM words WHERE norm = 'elefant'").fetchone() is None
    assert seed_kb.search("elefant", limit=5) == []
    assert seed_kb.ask("Hvad hedder elefanten?").answer is None
    assert_index_consistent(store)


def test_remove_keeps_words_other_articles_still_use(empty_kb):
    store = empty_kb.store
    first = store.add(ArticleInput("Elefanten Bent spiser hø. Den er glad.")).article
    store.add(ArticleInput("Elefanten Bodil spiser æbler. Hun er sulten."))
    store.remove(first.id)
    df = dict(store.db.execute("SELECT norm, df FROM words").fetchall())
    assert df["elefanten"] == 1
    assert "bent" not in df and "bodil" in df
    assert fts_rowids(store, "bent") == []


@pytest.mark.parametrize("article_id", [0, 2, 999, -1])
def test_removing_an_unknown_article_raises(seed_kb, article_id):
    with pytest.raises(NotFoundError, match=str(article_id)):
        seed_kb.remove(article_id)
    assert counts(seed_kb.store)["articles"] == 1


def test_unknown_ids_are_not_found(seed_kb):
    with pytest.raises(NotFoundError):
        seed_kb.store.article(42)
    with pytest.raises(NotFoundError):
        seed_kb.store.article_text(42)
    assert seed_kb.fact(10_000) is None
    assert seed_kb.store.facts([]) == {}


# -- another connection ------------------------------------------------------------------


def test_another_connections_ingest_is_seen_at_the_next_question(db_path):
    bot = Knowledge.open(db_path)
    question = "Hvor meget vejer elefanten Bent?"
    assert bot.ask(question).answer is None
    assert bot.refresh() is False
    cli = Knowledge.open(db_path)
    list(cli.ingest([ArticleInput(ELEPHANT, title="Ny elefant")]))
    assert bot.refresh() is True
    answer = bot.ask(question).answer
    assert answer is not None and "3.000 kilo" in answer.fact.text
    cli.remove(answer.fact.article.id)
    assert bot.ask(question).answer is None


# -- invariant: facts are verbatim ---------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "Gaza", "dræbt", "København", "bl.a.", "ca.", "kl.", "14.30", "32.000", "7.", "oktober",
        "Hamas'", "FN's", "USA", "-", "–", '"meget', 'skuffet"', "(ifølge", "kilder)", "H.C.",
        "Andersen", "sagde", "at", "han", "hun", "og", "men", "3,5", "procent", "?", "!",
        "dr.", "Hansen", "…", "osv.", "Det", "Hvide", "Hus",
    ]
)  # fmt: skip
_SENTENCE = st.lists(_WORDS, min_size=1, max_size=12).map(lambda ws: " ".join(ws) + ".")
_TEXT = st.lists(
    st.tuples(_SENTENCE, st.sampled_from([" ", "  ", "\n", "\n\n", "\n \n"])),
    min_size=1,
    max_size=6,
).map(lambda parts: "".join(s + sep for s, sep in parts).strip())


@settings(max_examples=60, deadline=None)
@given(_TEXT)
def test_every_fact_is_a_verbatim_substring_of_its_article(text):
    store = Store.open(":memory:", seed=False)
    article = store.add(ArticleInput(text)).article
    stored = store.article_text(article.id)
    assert stored == text
    rows = store.db.execute(
        'SELECT position, start, "end", text FROM facts WHERE article_id = ? ORDER BY position',
        [article.id],
    ).fetchall()
    assert rows, "an article with letters has at least one fact"
    previous_end = 0
    for position, (pos, start, end, fact) in enumerate(rows):
        assert pos == position
        assert previous_end <= start < end <= len(stored)
        assert stored[start:end] == fact
        assert fact == fact.strip()
        previous_end = end
    assert_index_consistent(store)


def test_the_seed_facts_are_verbatim(seed_kb):
    text = seed_kb.store.article_text(1)
    assert text in seed_text()
    for (fact,) in seed_kb.store.db.execute("SELECT text FROM facts"):
        assert fact in text


def _written_then_changed(path, *statements: str) -> None:
    """A database with the seed article, then altered behind faktabot's back."""
    Store.open(path).db.conn.close()
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def _rows(path, query: str) -> list[tuple]:
    return sqlite3.connect(path).execute(query).fetchall()


def _answers_the_spokesman_question(path) -> None:
    answer = Knowledge(Store.open(path)).ask("Hvem er talsmand for Pentagon?").answer
    assert answer is not None and "Pat Ryder" in answer.fact.text


def test_a_first_schema_database_without_paragraphs_still_opens(tmp_path):
    # The earliest schema-1 databases stored facts without a paragraph number.
    path = tmp_path / "old.db"
    _written_then_changed(
        path,
        "DROP INDEX facts_paragraph",
        "ALTER TABLE facts DROP COLUMN paragraph",
        "PRAGMA user_version = 1",
    )
    _answers_the_spokesman_question(path)


def _fresh_and_changed(tmp_path, *statements: str):
    """A fresh database and one altered by `statements`, both with the seed article."""
    fresh, changed = tmp_path / "fresh.db", tmp_path / "changed.db"
    Store.open(fresh).db.conn.close()
    _written_then_changed(changed, *statements)
    return fresh, changed


@pytest.mark.parametrize(
    ("version", "changes"),
    [
        (2, ["facts ADD COLUMN cohesion REAL", "articles DROP COLUMN title_keys"]),
        (9, ["facts ADD COLUMN cohesion REAL", "articles ADD COLUMN story REAL"]),
    ],
)
def test_an_older_database_gains_and_loses_columns_on_open(tmp_path, version, changes):
    # Schema 3 added cohesion, 4 the title keys, 5 each article's repeat ratio (`story`);
    # 10 drops cohesion and the repeat ratio, which nothing reads any more.
    fresh, old = _fresh_and_changed(
        tmp_path,
        *(f"ALTER TABLE {change}" for change in changes),
        "UPDATE meta SET value = 'old' WHERE key = 'analysis'",
        f"PRAGMA user_version = {version}",
    )
    Store.open(old).db.conn.close()
    for table in ("facts", "articles"):
        columns = (
            'SELECT name, type, "notnull", dflt_value'
            f" FROM pragma_table_info('{table}') ORDER BY name"
        )
        assert _rows(old, columns) == _rows(fresh, columns)
        assert {"cohesion", "story"}.isdisjoint(name for name, *_ in _rows(old, columns))
    articles = "SELECT id, title_keys FROM articles ORDER BY id"
    got_articles = _rows(old, articles)
    assert got_articles == _rows(fresh, articles)
    _, title = got_articles[0]
    assert "pentagon" not in title and "hvid" in title.split()
    assert _rows(old, "PRAGMA user_version")[0][0] == SCHEMA_VERSION


def test_re_analysis_in_blocks_of_articles_gives_what_a_fresh_ingest_gives(tmp_path):
    stories = [
        " ".join(
            f"{name} {verb} i {town} i dag. {name} siger, at {town} er smuk." for _ in range(2)
        )
        for name, verb, town in [
            ("Bent", "bor", "Odense"),
            ("Lise", "arbejder", "Aarhus"),
            ("Ole", "sejler", "Skagen"),
            ("Mette", "maler", "Ribe"),
        ]
    ]
    fresh, stale = tmp_path / "fresh.db", tmp_path / "stale.db"
    for path in (fresh, stale):
        store = Store.open(path)
        list(store.add_many(ArticleInput(text) for text in stories))
        store.db.conn.close()
    conn = sqlite3.connect(stale)
    conn.execute("UPDATE facts SET terms = 'forkert', parts = '', norm = '', paragraph = 9")
    conn.execute("UPDATE articles SET title_keys = ''")
    conn.commit()
    conn.close()
    store = Store.open(stale)
    store.reanalyse(block=2)  # 5 articles: 3 blocks
    store.db.conn.close()
    for query in (
        "SELECT id, paragraph, norm, terms, parts FROM facts ORDER BY id",
        "SELECT id, title_keys FROM articles ORDER BY id",
        "SELECT norm, raw, df FROM words ORDER BY norm",
    ):
        assert _rows(stale, query) == _rows(fresh, query)
    assert len(_rows(stale, "SELECT id FROM articles")) == 5


def test_terms_from_an_older_analysis_are_recomputed_on_open(tmp_path):
    # A database written by a faktabot whose analysis differed (stale terms, paragraphs,
    # words) is brought up to date when it is opened, as if freshly ingested.
    fresh, stale = _fresh_and_changed(
        tmp_path,
        "UPDATE facts SET terms = 'forkert', parts = '', paragraph = 0",
        "INSERT INTO facts_fts(facts_fts) VALUES ('rebuild')",
        "UPDATE words SET df = 99",
        "UPDATE meta SET value = 'old' WHERE key = 'analysis'",
    )
    _answers_the_spokesman_question(stale)
    query = "SELECT position, paragraph, norm, terms, parts FROM facts ORDER BY position"
    words = "SELECT norm, raw, df FROM words ORDER BY norm"
    assert _rows(stale, query) == _rows(fresh, query)
    assert _rows(stale, words) == _rows(fresh, words)


def test_only_the_word_lists_behind_the_stored_terms_re_analyse_a_database(tmp_path, monkeypatch):
    # Stored terms come from the stop words and lemmas: a change to either is re-analysed
    # when a database is opened. The key frequencies weigh questions only: no re-analysis.
    data = tmp_path / "data"
    data.mkdir()
    for name in (*analysis.ANALYSIS_FILES, "key_frequencies.tsv"):
        (data / name).write_bytes((DATA / name).read_bytes())
    monkeypatch.setattr(analysis, "DATA", data)
    path = tmp_path / "k.db"
    Store.open(path).db.conn.close()
    reanalysed = []
    reanalyse = Store.reanalyse
    monkeypatch.setattr(Store, "reanalyse", lambda self: reanalysed.append(1) or reanalyse(self))
    with (data / "key_frequencies.tsv").open("a", encoding="utf-8") as f:
        f.write("nyord\t1\n")
    Store.open(path).db.conn.close()
    assert reanalysed == []
    for name in analysis.ANALYSIS_FILES:
        with (data / name).open("a", encoding="utf-8") as f:
            f.write("\n")
        Store.open(path).db.conn.close()
        Store.open(path).db.conn.close()  # once only: the new fingerprint is stored
        assert len(reanalysed) == analysis.ANALYSIS_FILES.index(name) + 1


@pytest.mark.parametrize(
    "blank", [" ", "\t", "\u00a0", " \u00a0 "], ids=["space", "tab", "nbsp", "mixed"]
)
def test_a_blank_line_of_any_blank_starts_a_paragraph_at_ingest_and_reanalysis(
    tmp_path, blank
) -> None:
    """Sentences and paragraph numbers come from one definition of a paragraph break
    (`segment.PARAGRAPH_BREAK`): a blank line that splits sentences also starts a
    paragraph, when an article is added and when its facts are analysed again."""
    text = (
        "Færgen sejler igen i dag. Rederiet venter 100 passagerer."
        f"\n{blank}\n"
        "Motoren blev skiftet i sidste uge. Det kostede to millioner kroner."
    )
    store = Store.open(tmp_path / "x.db", seed=False)
    article = store.add(ArticleInput(text, "Færgen")).article
    query = "SELECT paragraph FROM facts WHERE article_id = ? ORDER BY position"
    assert [p for (p,) in store.db.execute(query, [article.id])] == [0, 0, 1, 1]
    store.db.execute("UPDATE facts SET paragraph = 0")
    store.reanalyse()
    assert [p for (p,) in store.db.execute(query, [article.id])] == [0, 0, 1, 1]
