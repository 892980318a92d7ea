"""Questions a second through the whole bot, in one process.

The real Application from `bot.app.build_application` polls the fake Bot API of the
tests (a real HTTP server on 127.0.0.1), every update is a private-chat question, and
the clock runs from the first update pushed until the bot's reply to the last one is
recorded. The path is the bot's own: HTTP long poll, PTB's update queue and filters, the
flood gate, `Knowledge.ask` (in the bot's worker processes, `--workers`, as
FAKTABOT_WORKERS; 0 looks up in the bot's own process), rendering, the question log, the
HTTP sendMessage and the fake's validation of the HTML.

Two settings are measured: the rate limiter as configured (PTB's AIORateLimiter, which
keeps to Telegram's 30 messages a second across chats, so that is the ceiling by design),
and with that limiter's overall cap off, which shows what the bot itself can do.

    python -m bench.fullpath --db DB [--questions 2000] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import sys
import time
from pathlib import Path

from telegram import Update
from telegram.ext import AIORateLimiter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fake_bot_api import FakeBotApi  # a test helper, reused as is
from faktabot.bot.app import build_application
from faktabot.bot.config import DEFAULT_WORKERS, Config
from faktabot.knowledge import Knowledge
from faktabot.knowledge.evaluate import read_cases

TOKEN = "123456789:AAHbenchTokenForFaktabotFullPath_01234"
DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev_questions.tsv"
USERS = 500  # distinct askers, so no one user is near the flood limit


async def measure(
    kb: Knowledge, questions: list[str], count: int, *, limiter: bool, workers: int
) -> dict:
    """Push `count` questions (cycled) and time until every reply is sent."""
    async with FakeBotApi(TOKEN) as api:
        config = Config(
            token=TOKEN, api_base_url=api.base_url, user_rate=1_000_000, workers=workers
        )
        app = build_application(kb, config)
        if not limiter:
            app.bot._rate_limiter = AIORateLimiter(overall_max_rate=0, max_retries=3)
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(app.post_shutdown, app)  # stops the workers
            await stack.enter_async_context(app)
            await app.post_init(app)
            await app.start()
            stack.push_async_callback(app.stop)
            await app.updater.start_polling(
                poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
            )
            stack.push_async_callback(app.updater.stop)
            # Warm up: the first questions load dictionaries and index statistics.
            for text in questions[:5]:
                await api.send_private(text, user=api.user(1))
            sent = SentCounter()
            await api.wait_for(lambda calls: sent(calls) >= 5, timeout=60)
            base = sent.count
            users = [api.user(10_000 + i, f"U{i}") for i in range(USERS)]
            asked = zip(itertools.cycle(questions), itertools.cycle(users))
            start = time.perf_counter()
            for text, user in itertools.islice(asked, count):
                await api.send_private(text, user=user)
            await api.wait_for(
                lambda calls: sent(calls) >= base + count, timeout=600, what="all replies"
            )
            seconds = time.perf_counter() - start
            failed = sum(1 for c in api.calls if c.method == "sendMessage" and not c.ok)
    return {
        "questions": count,
        "seconds": round(seconds, 3),
        "qps": round(count / seconds, 1),
        "failed_sends": failed,
        "limiter": "AIORateLimiter (as built)" if limiter else "overall cap off",
        "workers": workers,
    }


class SentCounter:
    """Successful sendMessage calls so far, counted incrementally (the call list grows long)."""

    def __init__(self) -> None:
        self.seen = self.count = 0

    def __call__(self, calls: list) -> int:
        self.count += sum(1 for c in calls[self.seen :] if c.method == "sendMessage" and c.ok)
        self.seen = len(calls)
        return self.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a faktabot database")
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--limited", type=int, default=300, help="questions with the limiter")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"worker processes (FAKTABOT_WORKERS; default {DEFAULT_WORKERS} here, 0: none)",
    )

    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    kb = Knowledge.open(args.db)
    questions = [c.question for c in read_cases(DEV)]
    out = [asyncio.run(measure(kb, questions, args.questions, limiter=False, workers=args.workers))]
    if args.limited:
        limited = measure(kb, questions, args.limited, limiter=True, workers=args.workers)
        out.append(asyncio.run(limited))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
