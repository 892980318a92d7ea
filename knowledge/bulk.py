"""The bulk-ingest worker: a forked process analyses articles while the ingest writes.

On a large ingest Python's analysis and SQLite's writing cost about the same, so
overlapping them nearly halves the time (docs/benchmarks.md). Only the ingest touches the
database; the worker gets texts and returns rows.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from .analysis import Prepared, analyse_many, content_hash, sentence_terms
from .model import ArticleInput

PARENT_CHECK_SECONDS = 1.0  # how often the ingest worker looks whether its ingest lives
# While the worker analyses, the ingest's own analysis holds the GIL, and the pool's thread
# that reads each chunk's rows from the pipe (in pieces) waits up to Python's 5 ms switch
# interval for every piece, leaving the worker idle between chunks; a shorter interval
# keeps it busy.
INGEST_SWITCH_SECONDS = 0.0005


@dataclass(frozen=True, slots=True, kw_only=True)
class Batching:
    """How a many-article ingest is cut up."""

    sentences: int = 10_000  # sentences per transaction: few large ones write big segments
    # When the input is used up and the worker still analyses, the writer writes what it
    # holds if it is at least this much (else the last batch waits for every chunk, and then
    # the worker waits for it), so the tail is not cut into a transaction a chunk.
    early_sentences: int = 2_000
    bulk_articles: int = 50  # from this many articles on, a forked worker analyses them
    chunk_articles: int = 64  # articles per piece of work sent to the worker
    ahead_chunks: int = 10  # pieces of work in flight while the ingest writes


def can_fork() -> bool:
    """A forked worker starts at once with the lexicon loaded, but forking is only safe on
    Linux in a process with no other threads (the CLI, not the bot); else ingest stays here."""
    return sys.platform == "linux" and threading.active_count() == 1


def prepare_in_worker(
    items: Iterator[ArticleInput],
    known: Callable[[str], bool],
    *,
    batching: Batching,
) -> Iterator[Prepared | None]:
    """Articles analysed in a worker process while the caller writes what it yields.

    `known` says whether a text (by its `content_hash`) is stored already: such an article
    is not analysed. When the worker lags, this process analyses the next chunk itself.
    Chunks are yielded in input order, so the ids are those of an in-process ingest. None
    means "nothing more for a while": the caller may write what it holds.
    """
    sentence_terms("Varm op.")  # load the lexicon before forking: the worker inherits it
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    )
    switch = sys.getswitchinterval()
    pending: deque[tuple[list[tuple[ArticleInput, str, bool]], Future | list]] = deque()

    def take() -> tuple[list[tuple[ArticleInput, str, bool]], list[str]] | None:
        chunk = list(islice(items, batching.chunk_articles))
        if not chunk:
            return None
        keyed = [(item, content_hash(item.text)) for item in chunk]
        marked = [(item, digest, known(digest)) for item, digest in keyed]
        return marked, [item.text for item, _, stored in marked if not stored]

    try:
        sys.setswitchinterval(INGEST_SWITCH_SECONDS)
        while True:
            while sum(isinstance(w, Future) for _, w in pending) < batching.ahead_chunks:
                if (taken := take()) is None:
                    break
                pending.append((taken[0], pool.submit(analyse_many, taken[1])))
            if not pending:
                return
            head = pending[0][1]
            if isinstance(head, Future) and not head.done():
                if taken := take():
                    pending.append((taken[0], analyse_many(taken[1])))
                    continue
                # The input is used up and the worker still busy: a time to write (the
                # batch would otherwise wait for every chunk), then wait below.
                yield None
            keyed, work = pending.popleft()
            analysed = iter(work.result() if isinstance(work, Future) else work)
            for item, digest, stored in keyed:
                if stored:  # stored before (the writer also skips repeats within the ingest)
                    yield Prepared(item, digest, [])
                else:
                    yield Prepared(item, digest, *next(analysed))
    finally:
        sys.setswitchinterval(switch)
        pool.shutdown(cancel_futures=True)


def _end_with_parent(parent: int) -> None:
    """In the ingest worker: end when the ingest that forked it is gone.

    A killed ingest never tells its worker, and the worker, waiting for work on a pipe
    it holds both ends of, would wait for ever (holding its memory and the database's
    deleted WAL files open). A thread looks at the parent once a second.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="faktabot-parent-watch", daemon=True).start()
