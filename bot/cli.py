"""The `faktabot` command: a thin layer over `knowledge` and the Telegram adapter.

Library errors become one clear line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import chain
from pathlib import Path

from faktabot.bot.config import ConfigError
from faktabot.knowledge import ArticleInput, FaktabotError, Knowledge, Result
from faktabot.knowledge.database import default_path, storage_error
from faktabot.knowledge.embed import EmbedderError, load_embedder
from faktabot.knowledge.errors import InputError, SchemaError, StorageError
from faktabot.knowledge.evaluate import DECLINE_KINDS, evaluate, read_cases
from faktabot.knowledge.fetch import FetchError, own_version
from faktabot.knowledge.parse import read_articles


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args.command = "run" if os.environ.get("TELEGRAM_BOT_TOKEN") else "chat"
    if args.db:
        # Every command, and the bot's configuration, read the database path from here.
        os.environ["FAKTABOT_DB"] = args.db
    try:
        return COMMANDS[args.command](args)
    except (FaktabotError, EmbedderError, sqlite3.Error) as exc:
        if args.debug:
            raise
        if isinstance(exc, sqlite3.Error):  # the database failed in use: damaged, full …
            exc = storage_error(default_path(), exc)
        print(f"faktabot: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return closed_pipe()


# Exit codes: what kind of failure, for scripts (argparse's own usage errors are 2 too).
EXIT_ERROR = 1  # anything else the command refused
EXIT_CONFIG = 2  # a setting (environment variable or option) that cannot be used
EXIT_DATABASE = 3  # the database: damaged, not faktabot's, newer, read-only, disk full
EXIT_INPUT = 4  # an article or question file, or a page, that cannot be read


def exit_code(exc: Exception) -> int:
    """The exit code that tells what failed."""
    if isinstance(exc, StorageError | SchemaError):
        return EXIT_DATABASE
    if isinstance(exc, InputError | FetchError):
        return EXIT_INPUT
    if isinstance(exc, ConfigError):
        return EXIT_CONFIG
    return EXIT_ERROR


# What a shell reports for a process that SIGPIPE ended: `faktabot articles | head` stops
# as quietly as `cat`, not with a traceback.
CLOSED_PIPE = 128 + 13


def closed_pipe() -> int:
    """The reader of stdout went away: write the rest nowhere, so that the interpreter's
    last flush at exit does not complain either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return CLOSED_PIPE


def build_parser() -> argparse.ArgumentParser:
    db_help = "database file (default: $FAKTABOT_DB or the user data dir)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
    parser = argparse.ArgumentParser(
        prog="faktabot",
        description="Answer Danish questions with the exact sentence from a news article. "
        "Without a command: run on Telegram if TELEGRAM_BOT_TOKEN is set, else chat here.",
    )
    parser.add_argument("--db", metavar="PATH", help=db_help)
    parser.add_argument(
        "--debug", action="store_true", help="show a traceback instead of a one-line error"
    )
    parser.add_argument("--version", action="version", version=f"faktabot {own_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="run the Telegram bot")
    run.add_argument(
        "--webhook-url",
        metavar="URL",
        help="take updates on this public https URL instead of polling ($FAKTABOT_WEBHOOK_URL)",
    )
    run.add_argument(
        "--listen", metavar="ADDR", help="webhook listen address ($FAKTABOT_LISTEN, 127.0.0.1)"
    )
    run.add_argument(
        "--port", metavar="N", help="webhook listen port ($FAKTABOT_PORT, 8443)", type=int
    )
    run.add_argument(
        "--log-format", choices=["text", "json"], help="log lines ($FAKTABOT_LOG_FORMAT, text)"
    )
    sub.add_parser("chat", parents=[common], help="chat with the bot in the terminal")

    ask = sub.add_parser("ask", parents=[common], help="answer one question, or one a line")
    ask.add_argument("question", nargs="?", help="the question (default: read lines from stdin)")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")

    ingest = sub.add_parser(
        "ingest", parents=[common], help="add articles (.txt, .jsonl or a web page's URL)"
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    ingest.add_argument("--title", help="title of a text article")
    ingest.add_argument("--url", help="web address of a text article")

    articles = sub.add_parser("articles", parents=[common], help="list the indexed articles")
    articles.add_argument(
        "--latest", type=int, nargs="?", const=10, metavar="N", help="the N newest (10)"
    )
    follow = sub.add_parser("follow", parents=[common], help="follow an RSS or Atom feed")
    follow.add_argument("feed", metavar="FEED_URL")
    unfollow = sub.add_parser("unfollow", parents=[common], help="stop following a feed")
    unfollow.add_argument("feed", metavar="FEED_URL")
    sub.add_parser("feeds", parents=[common], help="the feeds followed, with their status")
    sub.add_parser("fetch", parents=[common], help="poll every followed feed once (for cron)")
    embed = sub.add_parser(
        "embed", parents=[common], help="give sentences their vectors (semantic matching)"
    )
    embed.add_argument("--all", action="store_true", help="make every vector anew")
    sub.add_parser(
        "optimize", parents=[common], help="merge the search index (after a large import)"
    )

    remove = sub.add_parser("remove", parents=[common], help="remove an article and its facts")
    remove.add_argument("id", type=int)

    ev = sub.add_parser("eval", parents=[common], help="score the bot on a questions file")
    ev.add_argument("file", type=Path, metavar="FILE.tsv")
    ev.add_argument("--show-errors", action="store_true", help="list the questions it got wrong")

    rep = sub.add_parser(
        "report", parents=[common], help="where the bot fails: unanswered questions and 👎"
    )
    rep.add_argument("--days", type=int, default=30, help="how far back to look (default 30)")
    rep.add_argument("--top", type=int, default=10, help="rows per table (default 10)")
    rep.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained page")
    return parser


def open_knowledge(args: argparse.Namespace, *, semantic: str | None = None) -> Knowledge:
    """The knowledge the environment describes; `semantic` overrides FAKTABOT_SEMANTIC.

    Commands that answer no question pass "off": loading the model takes time and memory.
    """
    from faktabot.bot.config import semantic_mode

    extra = os.environ.get("FAKTABOT_SYNONYMS", "").strip()
    if extra and not Path(extra).is_file():
        raise FaktabotError(f"FAKTABOT_SYNONYMS: no such file: {extra}")
    embedder = load_embedder(semantic or semantic_mode())
    return Knowledge.open(
        os.environ.get("FAKTABOT_DB") or None,
        synonyms=[extra] if extra else [],
        embedder=embedder,
    )


# -- commands ------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from faktabot.bot.app import run
    from faktabot.bot.config import Config

    if getattr(args, "webhook_url", None) == "":  # compose passes an unset variable as ""
        print("faktabot: --webhook-url is empty (set FAKTABOT_WEBHOOK_URL)", file=sys.stderr)
        return 2
    options = {
        "FAKTABOT_WEBHOOK_URL": getattr(args, "webhook_url", None),
        "FAKTABOT_LISTEN": getattr(args, "listen", None),
        "FAKTABOT_PORT": getattr(args, "port", None),
        "FAKTABOT_LOG_FORMAT": getattr(args, "log_format", None),
    }
    # Options win over the environment and go through the same checks.
    config = Config.from_env(
        {**os.environ, **{k: str(v) for k, v in options.items() if v is not None}}
    )
    if not config.has_token:
        print("faktabot: set TELEGRAM_BOT_TOKEN to run on Telegram", file=sys.stderr)
        return 2
    from telegram.error import InvalidToken

    try:
        run(config, open_knowledge(args, semantic=config.semantic))
    except InvalidToken:
        raise FaktabotError("Telegram refused the bot token (TELEGRAM_BOT_TOKEN)") from None
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from faktabot.bot.console import chat
    from faktabot.bot.embedding import CHAT_FIRST, VectorUpkeep

    kb = open_knowledge(args)
    upkeep = VectorUpkeep(kb)
    upkeep.start(first=CHAT_FIRST)
    try:
        return chat(kb)
    finally:
        upkeep.close()


def cmd_ask(args: argparse.Namespace) -> int:
    from faktabot.bot.console import converse, reply
    from faktabot.knowledge.dialogue import Memory

    kb = open_knowledge(args)
    questions = [args.question] if args.question is not None else _stdin_lines()
    memory = Memory()  # lines from stdin are one conversation, as in `faktabot chat`
    for n, question in enumerate(questions):
        if args.json:
            result = converse(kb, question, memory)
            print(json.dumps(result_json(result), ensure_ascii=False))
        else:
            # Word for word what `faktabot chat` says, questions a blank line apart.
            print(("\n" if n else "") + reply(kb, question, memory))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from faktabot.bot.progress import progress_bar

    kb = open_knowledge(args, semantic="off")
    kb.store.check_health()
    links = [p for p in args.paths if is_link(p)]
    paths = [Path(p) for p in args.paths if not is_link(p)]

    def articles() -> Iterator[ArticleInput]:
        for path in paths:
            yield from read_articles(path, title=args.title, url=args.url)

    # Two passes over the files: the first reads every line, so that a bad one stops the
    # import before any write, and counts the articles; the second reads them again while
    # they are stored, so memory stays the same however large the files. Pages are
    # fetched before anything is written too.
    total = sum(1 for _ in articles()) + len(links)
    items = chain(articles(), fetch_articles(links, title=args.title))
    added = same = 0
    try:
        with progress_bar(total, "articles", show=total >= 20) as advance:
            for outcome in kb.ingest(items):
                added += outcome.added
                same += not outcome.added
                advance(1)
                if total < 20:
                    verb = "added" if outcome.added else "already known"
                    a = outcome.article
                    was = ""
                    if outcome.replaced is not None:
                        verb, was = "updated", f", replaces #{outcome.replaced}"
                    print(f"{verb}: #{a.id} {a.title} ({a.facts} facts{was})")
    except (FaktabotError, sqlite3.Error):
        # What landed is whole (each batch is a transaction): say how much before why not.
        print(f"{added} added, {same} already known before the error", file=sys.stderr)
        raise
    print(f"{added} added, {same} already known")
    return 0


def is_link(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def fetch_articles(links: list[str], *, title: str | None = None) -> list[ArticleInput]:
    """The article on each page, all fetched before anything is stored."""
    if not links:
        return []
    from faktabot.bot.config import fetch_private
    from faktabot.knowledge.extract import article_from_html
    from faktabot.knowledge.fetch import Fetcher

    found = []
    with Fetcher(allow_private=fetch_private()) as fetcher:
        for link in links:
            page = fetcher.get(link)
            article = article_from_html(page.text(), page.url)
            if title and len(links) == 1:
                article = replace(article, title=title)
            found.append(article)
    return found


def cmd_follow(args: argparse.Namespace) -> int:
    from faktabot.knowledge.feeds import follow

    feed = follow(open_knowledge(args, semantic="off").store, args.feed)
    print(f"following {feed.url} (fetched at the next round: faktabot fetch, or the running bot)")
    return 0


def cmd_unfollow(args: argparse.Namespace) -> int:
    from faktabot.knowledge.feeds import unfollow

    feed = unfollow(open_knowledge(args, semantic="off").store, args.feed)
    print(f"no longer following {feed.url} (its {feed.articles} articles stay)")
    return 0


def cmd_feeds(args: argparse.Namespace) -> int:
    from faktabot.knowledge.feeds import feeds

    for f in feeds(open_knowledge(args, semantic="off").store):
        print(
            f"{f.status}\t{f.articles} articles\tchecked {f.checked or '-'}\t"
            f"ok {f.succeeded or '-'}\t{f.url}\t{f.detail}"
        )
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from faktabot.bot.config import fetch_private, max_age_days
    from faktabot.knowledge.feeds import feeds, poll
    from faktabot.knowledge.fetch import Fetcher

    store = open_knowledge(args, semantic="off").store
    store.check_health()
    with Fetcher(allow_private=fetch_private()) as fetcher:
        done = poll(store, fetcher, force=True, max_age_days=max_age_days())
    for f in feeds(store):
        if f.url in done.outcomes:
            print(f"{f.status}\t{f.url}\t{f.detail}")
    print(
        f"{done.feeds} feeds in {done.seconds:.1f} s: {done.unchanged} unchanged,"
        f" {done.failed} failed; articles: {done.added} added, {done.updated} updated,"
        f" {done.errors} failed, {done.expired} expired"
    )
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    from faktabot.bot.config import semantic_mode
    from faktabot.bot.progress import progress_bar
    from faktabot.knowledge.vectors import fill

    if semantic_mode() == "off":
        raise FaktabotError("semantic matching is off (FAKTABOT_SEMANTIC=off): nothing to embed")
    kb = open_knowledge(args, semantic="on")  # without the extra: a one-line error
    assert kb.vectors is not None and kb.embedder is not None
    if args.all:
        kb.vectors.clear()
    todo = kb.vectors.counts().missing
    started = time.perf_counter()
    # The bar shows the time left; vectors made before a Ctrl-C are kept.
    with progress_bar(todo, "sentences") as advance:
        made = fill(kb.vectors, kb.embedder, progress=advance)
    seconds = time.perf_counter() - started
    counts = kb.vectors.counts()
    print(
        f"{made} sentences embedded ({seconds:.1f} s, {kb.embedder.name}); "
        f"{counts.have} have a vector, {counts.missing} lack one"
    )
    return 0


def cmd_articles(args: argparse.Namespace) -> int:
    if args.latest is not None and args.latest < 1:
        raise FaktabotError("--latest must be at least 1")
    for a in open_knowledge(args, semantic="off").store.articles(latest=args.latest):
        print(
            f"{a.id}\t{a.date or '-'}\t{a.facts} facts\t{a.title}" + (f"\t{a.url}" if a.url else "")
        )
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    segments = open_knowledge(args, semantic="off").optimize()
    seconds = time.perf_counter() - started
    plural = "" if segments == 1 else "s"
    print(f"search index merged: {segments} segment{plural} into 1 ({seconds:.1f} s)")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    article = open_knowledge(args, semantic="off").remove(args.id)
    print(f"removed: #{article.id} {article.title}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    cases = read_cases(args.file)
    report = evaluate(open_knowledge(args).ask, cases)
    print(f"{'kind':<10} {'right':>7} {'share':>7}")
    for kind, (ok, n) in report.by_kind().items():
        print(f"{kind:<10} {ok:>3}/{n:<3} {ok / n:>7.0%}")
    ok, n = report.answerable
    print(f"answerable {ok:>3}/{n:<3} {ok / max(n, 1):>7.0%}")
    for kind in DECLINE_KINDS:
        ok, n = report.share(lambda k, kind=kind: k == kind)
        if n:
            print(f"declined {kind:<8} {ok}/{n} {ok / n:.0%}")
    if args.show_errors:
        for o in report.outcomes:
            if not o.ok:
                got = o.result.answer.fact.text if o.result.answer else "(declined)"
                print(f"\n✗ [{o.case.kind}] {o.case.question}\n  → {got}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from faktabot.bot.tables import print_report, report_html
    from faktabot.knowledge.curation import build_report

    if args.days < 1 or args.top < 1:
        raise FaktabotError("--days and --top must be at least 1")
    report = build_report(open_knowledge(args, semantic="off").store, days=args.days, top=args.top)
    print_report(report)
    if args.html is not None:
        try:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            args.html.write_text(report_html(report), encoding="utf-8")
        except OSError as exc:
            raise FaktabotError(f"cannot write {args.html}: {exc.strerror or exc}") from exc
        print(f"wrote {args.html}")
    return 0


COMMANDS = {
    "run": cmd_run,
    "chat": cmd_chat,
    "ask": cmd_ask,
    "ingest": cmd_ingest,
    "articles": cmd_articles,
    "follow": cmd_follow,
    "unfollow": cmd_unfollow,
    "feeds": cmd_feeds,
    "fetch": cmd_fetch,
    "embed": cmd_embed,
    "remove": cmd_remove,
    "optimize": cmd_optimize,
    "eval": cmd_eval,
    "report": cmd_report,
}


# -- output --------------------------------------------------------------------


def _stdin_lines() -> list[str]:
    return [line.rstrip("\n") for line in sys.stdin if line.strip()]


def _article_json(article) -> dict:
    return {"id": article.id, "title": article.title, "date": article.date, "url": article.url}


def result_json(result: Result) -> dict:
    """The `ask --json` record of one question."""
    answer = None
    if result.answer:
        a = result.answer
        answer = {
            "sentence": a.fact.text,
            "article": _article_json(a.fact.article),
            "score": a.score,
            "span": a.fact.text[a.span[0] : a.span[1]] if a.span else None,
        }
    intent = result.intent
    return {
        "question": result.question,
        "answer": answer,
        # Why there is no answer: "declined" (nothing indexed answers it), what is wrong
        # with the question ("empty", "too_long", "no_words"), or that it asked no question
        # ("small_talk", "out_of_scope", "conversation"); null when answered.
        "reason": None if answer else result.problem or (intent and intent.kind) or "declined",
        "intent": intent.name if intent else None,  # "greeting", "time", "more", …
        "about": result.about,  # what a follow-up borrowed from the line before
        "passage": [f.text for f in result.passage.facts] if result.passage else None,
        "alternatives": [
            {"sentence": h.fact.text, "article": _article_json(h.fact.article), "score": h.score}
            for h in result.alternatives
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
