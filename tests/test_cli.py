"""The `faktabot` command line, run in-process (and once as the installed console script).

Every test works on a database under tmp_path: FAKTABOT_DB is set for the whole module, so
the user's real data directory is never touched.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from embedders import HashEmbedder
from faktabot.bot.cli import build_parser, main
from faktabot.knowledge import IngestError, Store
from faktabot.knowledge.errors import QuestionFileError
from faktabot.knowledge.evaluate import read_cases
from faktabot.knowledge.schema import SCHEMA_VERSION
from faktabot.knowledge.vectors import stored_counts

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PENTAGON = "Hvem er talsmand for Pentagon?"
ELEPHANT = (
    "date 2024-05-02\n"
    "Københavns Zoo har fået en ny elefant. Den hedder Bent og vejer 3.000 kilo.\n\n"
    "Dyrepasseren siger, at elefanten spiser 150 kilo hø om dagen.\n"
)
BRIDGE = "Regeringen vil bygge en ny bro over Storebælt. Broen skal stå klar i 2035."


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch) -> Path:
    """The default database of every command here; no token, no operator synonyms."""
    path = tmp_path / "env.db"
    monkeypatch.setenv("FAKTABOT_DB", str(path))
    for name in ("TELEGRAM_BOT_TOKEN", "FAKTABOT_SYNONYMS", "FAKTABOT_SEMANTIC"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def run(capsys, monkeypatch):
    """main(argv) with optional stdin; returns (exit code, stdout, stderr)."""

    def invoke(*argv: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return invoke


def article_count(path: Path) -> int:
    return sqlite_utils.Database(path).execute("SELECT count(*) FROM articles").fetchone()[0]


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a.choices, dict))
    return sorted(action.choices)


# -- ask -----------------------------------------------------------------------------------


def test_ask_prints_the_sentence_and_its_source(run):
    code, out, err = run("ask", PENTAGON)
    assert code == 0 and err == ""
    assert "Pat Ryder" in out
    assert "Kilde: " in out and "marts 2024" in out  # the source line, as `chat` writes it


def test_plain_ask_says_what_chat_says(run):
    questions = [PENTAGON, "Hvordan bager man boller?", "😀🎉", "x" * 600]
    _, asked, _ = run("ask", stdin="\n".join(questions))
    _, chatted, _ = run("chat", stdin="\n".join(questions))
    assert asked == chatted
    assert "(no answer" not in asked and "Det ved jeg ikke" in asked and "for langt" in asked


def test_ask_json_schema(run):
    code, out, _ = run("ask", PENTAGON, "--json")
    assert code == 0
    record = json.loads(out)
    assert set(record) == {
        "question",
        "answer",
        "reason",
        "intent",
        "about",
        "passage",
        "alternatives",
    }
    assert record["question"] == PENTAGON and record["reason"] is None
    assert record["intent"] is record["about"] is record["passage"] is None
    answer = record["answer"]
    assert set(answer) == {"sentence", "article", "score", "span"}
    assert "Pat Ryder" in answer["sentence"]
    assert set(answer["article"]) == {"id", "title", "date", "url"}
    assert answer["article"]["id"] == 1 and answer["article"]["date"] == "2024-03"
    assert answer["article"]["url"] is None
    assert isinstance(answer["score"], float)
    assert answer["span"] is None or answer["span"] in answer["sentence"]
    assert isinstance(record["alternatives"], list) and record["alternatives"]
    for alternative in record["alternatives"]:
        assert set(alternative) == {"sentence", "article", "score"}
        assert set(alternative["article"]) == {"id", "title", "date", "url"}
        assert alternative["sentence"] != answer["sentence"]


def test_ask_json_without_an_answer(run):
    code, out, _ = run("ask", "Hvordan bager man boller?", "--json")
    assert code == 0
    record = json.loads(out)
    assert record["answer"] is None and record["reason"] == "declined"
    assert isinstance(record["alternatives"], list)


def test_ask_json_reads_one_question_a_line_from_stdin(run):
    questions = [PENTAGON, "Hvor mange gidsler befinder sig i Gaza?", "Hvordan bager man boller?"]
    code, out, _ = run("ask", "--json", stdin="\n".join(questions[:2]) + "\n\n" + questions[2])
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in records] == questions
    assert "Pat Ryder" in records[0]["answer"]["sentence"]
    assert "130" in records[1]["answer"]["span"]
    assert records[2]["answer"] is None


def test_ask_json_says_what_a_line_was_when_it_asked_nothing(run):
    lines = ["Hvem er Israels forsvarsminister?", "Hvem skal han mødes med tirsdag?", "mere", "hej"]
    code, out, _ = run("ask", "--json", stdin="\n".join(lines))
    assert code == 0
    follow, more, hello = [json.loads(line) for line in out.splitlines()][1:]
    assert follow["about"] == "Yoav Gallant" and "Jake Sullivan" in follow["answer"]["sentence"]
    assert (more["reason"], more["intent"]) == ("conversation", "more")
    assert any("Lloyd Austin" in sentence for sentence in more["passage"])
    assert (hello["reason"], hello["intent"], hello["answer"]) == ("small_talk", "greeting", None)


def test_ask_keeps_danish_letters_in_json(run):
    _, out, _ = run("ask", "Hvornår blev gidslerne taget?", "--json")
    assert "Hvornår" in out and "\\u00e5" not in out


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   ",
        "x" * 10_000,
        "Hvem " * 2_000,
        "😀🎉🙈",
        "hvem\x00er\x07\x1b[31mtalsmand",
        "\u200b\ufeff",
        "'; DROP TABLE articles; --",
    ],
    ids=["empty", "blank", "10000 chars", "10000 chars of words", "emoji", "controls",
         "zero width", "sql"],
)  # fmt: skip
def test_bad_questions_get_a_clear_no_answer(run, isolated, question):
    code, out, err = run("ask", question)
    assert code == 0 and err == ""
    assert any(w in out for w in ("Det ved jeg ikke", "Skriv et spørgsmål", "for langt", "med ord"))
    code, out, _ = run("ask", question, "--json")
    assert code == 0
    record = json.loads(out)
    assert record["answer"] is None
    assert record["reason"] in ("declined", "empty", "too_long", "no_words")
    assert article_count(isolated) == 1


# -- ingest, articles, remove ----------------------------------------------------------------


def test_ingest_a_text_file_with_title_url_and_date(run, tmp_path):
    path = tmp_path / "elefant.txt"
    path.write_text(ELEPHANT, encoding="utf-8")
    code, out, err = run("ingest", path, "--title", "Ny elefant", "--url", "https://zoo.dk/bent")
    assert code == 0 and err == ""
    assert "added: #2 Ny elefant (3 facts)" in out
    assert "1 added, 0 already known" in out
    _, listing, _ = run("articles")
    assert "2\t2024-05-02\t3 facts\tNy elefant\thttps://zoo.dk/bent" in listing.splitlines()
    _, answer, _ = run("ask", "Hvor meget vejer elefanten Bent?")
    assert "3.000 kilo" in answer
    assert "Kilde: Ny elefant (https://zoo.dk/bent), 2. maj 2024" in answer


def test_a_large_ingest_analyses_in_a_worker_process(run, tmp_path, monkeypatch):
    # Nothing the CLI starts (a progress bar's refresh thread) may keep the ingest from
    # forking: the bar is drawn here as on a terminal.
    from faktabot.bot import progress
    from faktabot.knowledge import writes

    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    forked = []
    real = writes.can_fork
    monkeypatch.setattr(writes, "can_fork", lambda: forked.append(real()) or real())
    path = tmp_path / "many.jsonl"
    records = [{"text": f"Borgmester nr. {i} åbnede en ny cykelsti."} for i in range(60)]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    code, out, err = run("ingest", path)
    assert code == 0 and "60 added, 0 already known" in out
    assert forked == [True]
    assert "60/60" in err  # the bar, drawn to the end


def test_ingest_jsonl(run, tmp_path):
    path = tmp_path / "articles.jsonl"
    lines = [
        {"text": ELEPHANT.split("\n", 1)[1], "title": "Ny elefant", "date": "2024-05-02"},
        {"text": BRIDGE, "url": "https://example.dk/bro"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n\n")
    code, out, _ = run("ingest", path)
    assert code == 0
    assert "2 added, 0 already known" in out
    _, listing, _ = run("articles")
    rows = [line.split("\t") for line in listing.splitlines()]
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert rows[2][-1] == "https://example.dk/bro"


def test_ingest_twice_is_already_known(run, tmp_path, isolated):
    path = tmp_path / "elefant.txt"
    path.write_text(ELEPHANT, encoding="utf-8")
    run("ingest", path)
    respaced = tmp_path / "elefant2.txt"
    respaced.write_text(ELEPHANT.replace(" ", "  "), encoding="utf-8")
    code, out, _ = run("ingest", path, respaced)
    assert code == 0
    assert "already known: #2" in out
    assert "0 added, 2 already known" in out
    assert article_count(isolated) == 2


def test_ingest_the_seed_article_again_is_already_known(run):
    code, out, _ = run("ingest", ROOT / "knowledge" / "data" / "seed_article.txt")
    assert code == 0
    assert "0 added, 1 already known" in out


def test_articles_lists_the_seed(run):
    code, out, _ = run("articles")
    assert code == 0
    [line] = out.splitlines()
    article_id, date, facts, title = line.split("\t")
    assert (article_id, date, facts) == ("1", "2024-03", "15 facts")
    assert title.startswith("Det Hvide Hus")


def test_remove(run, tmp_path, isolated):
    path = tmp_path / "bro.txt"
    path.write_text(BRIDGE, encoding="utf-8")
    run("ingest", path, "--title", "Ny bro")
    code, out, err = run("remove", "2")
    assert code == 0 and err == ""
    assert out.strip() == "removed: #2 Ny bro"
    assert article_count(isolated) == 1
    _, out, _ = run("ask", "Hvornår skal broen over Storebælt stå klar?", "--json")
    assert json.loads(out)["answer"] is None


def test_optimize_merges_the_index_and_answers_stay(run, tmp_path, isolated):
    path = tmp_path / "bro.txt"
    path.write_text(BRIDGE, encoding="utf-8")
    run("ingest", path, "--title", "Ny bro")  # the seed and this: two segments at least
    question = "Hvornår skal broen over Storebælt stå klar?"
    _, before, _ = run("ask", question, "--json")
    code, out, err = run("optimize")
    assert code == 0 and err == ""
    assert re.fullmatch(r"search index merged: ([2-9]|\d\d+) segments into 1 \(\d+\.\d s\)\n", out)
    segments = "SELECT count(DISTINCT segid) FROM facts_fts_idx"
    assert sqlite_utils.Database(isolated).execute(segments).fetchone()[0] == 1
    _, after, _ = run("ask", question, "--json")
    assert json.loads(after) == json.loads(before) and json.loads(after)["answer"]
    _, again, _ = run("optimize")
    assert again.startswith("search index merged: 1 segment into 1 (")


@pytest.mark.parametrize("article_id", ["2", "999"])
def test_remove_an_unknown_article(run, isolated, article_id):
    code, out, err = run("remove", article_id)
    assert code == 1 and out == ""
    assert err.strip() == f"faktabot: no article with id {article_id}"
    assert article_count(isolated) == 1


# -- bad files: nothing written ------------------------------------------------------------


def test_a_non_utf8_file_is_refused(run, tmp_path, isolated):
    run("articles")  # create the database
    path = tmp_path / "latin1.txt"
    path.write_bytes("Københavns Zoo har fået en ny elefant.".encode("latin-1"))
    code, out, err = run("ingest", path)
    assert code == 4 and out == ""
    assert err.startswith(f"faktabot: {path}")
    assert "UTF-8" in err
    assert article_count(isolated) == 1


def test_a_jsonl_line_without_text_stops_the_whole_import(run, tmp_path, isolated):
    run("articles")
    path = tmp_path / "articles.jsonl"
    path.write_text(
        json.dumps({"text": BRIDGE})
        + "\n"
        + json.dumps({"title": "Uden tekst"})
        + "\n"
        + json.dumps({"text": "Endnu en artikel om noget andet."})
        + "\n",
        encoding="utf-8",
    )
    code, out, err = run("ingest", path)
    assert code == 4 and out == ""
    assert err.strip() == f'faktabot: {path}:2: missing "text"'
    assert article_count(isolated) == 1  # not even line 1 was stored


def test_a_bad_line_late_in_a_large_file_stores_nothing(run, tmp_path, isolated):
    # More sentences than one write transaction holds, and the bad line at 90 %: the file
    # is read through once before anything is written, so no batch lands.
    lines = [
        json.dumps({"text": " ".join(f"By nr. {i} fik {k} nye cykelstier i år." for k in range(5))})
        for i in range(2400)
    ]
    bad = int(0.9 * len(lines))
    lines[bad] = '{"title": "uden tekst"}'
    path = tmp_path / "arkiv.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run("ingest", path)
    assert code == 4 and out == ""
    assert f"{path}:{bad + 1}:" in err
    assert article_count(isolated) == 1  # the seed alone
    lines[bad] = lines[0].replace("By nr. 0 ", "By nr. X ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run("ingest", path)
    assert code == 0 and "2400 added" in out
    assert article_count(isolated) == 2401


def test_a_bad_second_file_stops_the_whole_import(run, tmp_path, isolated):
    run("articles")
    good = tmp_path / "bro.txt"
    good.write_text(BRIDGE, encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json}\n", encoding="utf-8")
    code, _, err = run("ingest", good, bad)
    assert code == 4  # an input file that cannot be read
    assert f"{bad}:1:" in err
    assert article_count(isolated) == 1


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("missing.txt", None, "no such file"),
        ("empty.txt", "", "empty"),
        ("digits.txt", "123 456", "no letters"),
        ("bad-date.txt", "date 2024-13\nEn artikel.", "invalid date"),
    ],
)
def test_unreadable_articles_name_the_file(run, tmp_path, isolated, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, _, err = run("ingest", path)
    assert code == 4
    assert str(path) in err and message in err


def test_an_invalid_url_is_refused(run, tmp_path):
    path = tmp_path / "bro.txt"
    path.write_text(BRIDGE, encoding="utf-8")
    code, _, err = run("ingest", path, "--url", "javascript:alert(1)")
    assert code == 4 and "invalid url" in err


def test_a_database_from_a_newer_faktabot_is_a_clear_error(run, isolated):
    run("articles")
    sqlite_utils.Database(isolated).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    code, _, err = run("articles")
    assert code == 3  # the database
    assert "newer" in err


# -- eval ------------------------------------------------------------------------------------


def test_eval_prints_a_line_per_kind_and_the_answerable_share(run, tmp_path):
    path = tmp_path / "questions.tsv"
    path.write_text(
        "# kind\tquestion\taccepted\n"
        f"para\t{PENTAGON}\tPat Ryder\n"
        "para\tHvor mange gidsler holder Hamas i Gaza?\tomkring 130|130 gidsler\n"
        "typo\thvem er talsmnad for pentagon\tPat Ryder\n"
        "offtopic\tHvordan bager man boller?\t-\n",
        encoding="utf-8",
    )
    code, out, _ = run("eval", path)
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("para") and "2/2" in line for line in lines)
    assert any(line.startswith("typo") and "1/1" in line for line in lines)
    assert any(line.startswith("offtopic") and "1/1" in line for line in lines)
    assert any(line.startswith("answerable") and "3/3" in line for line in lines)


def test_eval_show_errors_lists_the_misses(run, tmp_path):
    path = tmp_path / "questions.tsv"
    path.write_text(f"para\t{PENTAGON}\tJohn Kirby\n", encoding="utf-8")
    code, out, _ = run("eval", path, "--show-errors")
    assert code == 0
    assert f"[para] {PENTAGON}" in out and "Pat Ryder" in out


def test_eval_of_a_malformed_file_names_the_line(run, tmp_path):
    path = tmp_path / "questions.tsv"
    path.write_text(f"para\t{PENTAGON}\tPat Ryder\npara\tkun to kolonner\n", encoding="utf-8")
    code, out, err = run("eval", path)
    assert code == 4 and out == ""  # a question file that cannot be read
    assert f"{path}:2:" in err


def test_a_question_file_error_is_not_an_ingest_error(tmp_path):
    # `faktabot eval` reads questions, not articles: a caller catching article-file
    # errors (IngestError) must not catch a bad question file by accident.
    path = tmp_path / "questions.tsv"
    path.write_text("para\tkun to kolonner\n", encoding="utf-8")
    with pytest.raises(QuestionFileError, match=":1: expected 3") as caught:
        read_cases(path)
    assert not isinstance(caught.value, IngestError)


# -- which database --------------------------------------------------------------------------


COMMAND_ARGS = {
    "ask": [PENTAGON],
    "articles": [],
    "eval": None,  # filled in with a file
    "ingest": None,
    "remove": ["1"],
    "chat": [],
}


@pytest.mark.parametrize("position", ["before", "after"])
@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
def test_db_option_is_respected_by_every_command(run, tmp_path, isolated, command, position):
    chosen = tmp_path / "sub" / "chosen.db"
    args = COMMAND_ARGS[command]
    if command == "eval":
        tsv = tmp_path / "q.tsv"
        tsv.write_text(f"para\t{PENTAGON}\tPat Ryder\n", encoding="utf-8")
        args = [tsv]
    elif command == "ingest":
        txt = tmp_path / "bro.txt"
        txt.write_text(BRIDGE, encoding="utf-8")
        args = [txt]
    argv = (
        ["--db", chosen, command, *args]
        if position == "before"
        else [command, *args, "--db", chosen]
    )
    code, _, _ = run(*argv, stdin=f"{PENTAGON}\n")
    assert code == 0
    assert chosen.exists()
    assert not isolated.exists()
    expected = {"ingest": 2, "remove": 0}.get(command, 1)
    assert article_count(chosen) == expected


def test_faktabot_db_environment_variable_is_respected(run, tmp_path, monkeypatch):
    path = tmp_path / "from-env" / "kb.db"
    monkeypatch.setenv("FAKTABOT_DB", str(path))
    code, out, _ = run("articles")
    assert code == 0 and out.startswith("1\t")
    assert path.exists()


def test_db_option_wins_over_the_environment(run, tmp_path, isolated):
    chosen = tmp_path / "chosen.db"
    run("--db", chosen, "remove", "1")
    assert article_count(chosen) == 0
    assert not isolated.exists()


def test_run_without_a_token_says_so(run, isolated):
    code, out, err = run("run")
    assert code == 2 and out == ""
    assert "TELEGRAM_BOT_TOKEN" in err


def test_chat_answers_piped_questions(run):
    code, out, _ = run("chat", stdin=f"{PENTAGON}\nHvordan bager man boller?\n")
    assert code == 0
    assert "Pat Ryder" in out
    assert "Det ved jeg ikke" in out


# -- embed (semantic matching) ---------------------------------------------------------------


@pytest.fixture
def stand_in_model(monkeypatch) -> None:
    """The CLI's embedder is a small deterministic one (the real model: test_semantic)."""
    monkeypatch.setattr(
        "faktabot.bot.cli.load_embedder", lambda mode: None if mode == "off" else HashEmbedder()
    )


def test_embed_gives_the_missing_sentences_vectors_and_all_makes_them_anew(
    run, isolated, stand_in_model, tmp_path
):
    code, out, err = run("embed")
    assert code == 0 and err == ""
    assert re.fullmatch(
        rf"15 sentences embedded \(\d+\.\d s, {HashEmbedder.name}\); "
        r"15 have a vector, 0 lack one\n",
        out,
    )
    (tmp_path / "elefant.txt").write_text(ELEPHANT, encoding="utf-8")
    assert run("ingest", tmp_path / "elefant.txt")[0] == 0
    assert stored_counts(Store.open(isolated, seed=False)).missing == 3
    assert run("embed")[1].startswith("3 sentences embedded")
    assert run("embed")[1].startswith("0 sentences embedded")
    code, out, _ = run("embed", "--all")
    assert code == 0 and out.startswith("18 sentences embedded") and "18 have a vector" in out


def test_chat_embeds_the_seed_before_the_first_question(run, isolated, stand_in_model):
    code, out, _ = run("chat", stdin=PENTAGON + "\n")
    assert code == 0 and "Pat Ryder" in out
    counts = stored_counts(Store.open(isolated, seed=False))
    assert (counts.have, counts.missing, counts.model) == (15, 0, HashEmbedder.name)


def test_without_the_extra_embed_and_semantic_on_are_one_line_errors(
    run, monkeypatch, without_extra
):
    needs = "faktabot: semantic matching needs the extra: pip install 'faktabot[semantic]'\n"
    assert run("embed") == (1, "", needs)
    monkeypatch.setenv("FAKTABOT_SEMANTIC", "on")
    assert run("ask", PENTAGON) == (1, "", needs)
    monkeypatch.setenv("FAKTABOT_SEMANTIC", "auto")
    code, out, _ = run("ask", PENTAGON)
    assert code == 0 and "Pat Ryder" in out  # auto: lexical, as without this feature


@pytest.mark.parametrize(
    ("mode", "argv", "code", "message"),
    [
        ("off", ["embed"], 1, "semantic matching is off (FAKTABOT_SEMANTIC=off): nothing to embed"),
        ("maybe", ["ask", PENTAGON], 2, "FAKTABOT_SEMANTIC must be auto, on or off, not 'maybe'"),
        ("maybe", ["run"], 2, "FAKTABOT_SEMANTIC must be auto, on or off, not 'maybe'"),
    ],
)
def test_semantic_setting_errors_are_one_line(run, monkeypatch, mode, argv, code, message):
    monkeypatch.setenv("FAKTABOT_SEMANTIC", mode)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert run(*argv) == (code, "", f"faktabot: {message}\n")


# -- the installed command -------------------------------------------------------------------


def test_the_console_script_runs(tmp_path):
    script = Path(sys.executable).with_name("faktabot")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "faktabot.bot.cli"]
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["FAKTABOT_DB"] = str(tmp_path / "script.db")
    done = subprocess.run(
        [*command, "ask", "--json", PENTAGON],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Pat Ryder" in json.loads(done.stdout)["answer"]["sentence"]
    assert (tmp_path / "script.db").exists()


# -- documentation ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_is_documented_in_the_readme(command):
    assert f"faktabot {command}" in README.read_text(encoding="utf-8")


def test_a_reader_that_stops_early_ends_the_listing_quietly(tmp_path, isolated):
    """`faktabot articles | head -1`: the pipe closes while the listing is written."""
    lines = [
        json.dumps({"title": f"Notits {i}", "text": f"Byrådet mødes den {i}. gang i år."})
        for i in range(3000)
    ]
    corpus = tmp_path / "many.jsonl"
    corpus.write_text("\n".join(lines), encoding="utf-8")
    env = {**os.environ, "FAKTABOT_SEMANTIC": "off", "PYTHONIOENCODING": "utf-8"}
    command = [sys.executable, "-m", "faktabot.bot.cli", "--db", str(isolated)]
    subprocess.run([*command, "ingest", str(corpus)], env=env, check=True, capture_output=True)
    proc = subprocess.Popen(
        [*command, "articles"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does after its line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert first.startswith(b"1\t") and err == ""


def test_version_names_the_installed_package(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"faktabot {importlib.metadata.version('faktabot')}"
