"""Questions looked up away from the event loop, in worker processes.

Matching a question is mostly Python (ranking, spans), so it holds the GIL: a thread would
not let the event loop send replies meanwhile, but another process does. Each worker opens
its own Knowledge on the same database file (SQLite in WAL mode has any number of readers
beside one writer) and calls refresh() before every lookup, so articles added or removed by
an admin or by `faktabot ingest` reach the workers exactly as they reach the bot itself.
The bot's own Knowledge still does everything else: admin uploads, /kilder, fact buttons,
the question log, /healthz.

With `workers=0`, or a database only this process can see (":memory:"), lookups run in
the event loop as before. With matching by meaning on, each worker loads its own copy of
the embedding model: a question is embedded where it is looked up.

`ChatOrder` lets the Application handle updates concurrently while keeping each chat's
updates in the order they came: two questions in a row get their answers in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.process
import os
import pickle
import signal
import sys
import time
import traceback
import types
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from faktabot.bot.logs import configure_logging
from faktabot.knowledge import Knowledge, Store
from faktabot.knowledge.database import database_path
from faktabot.knowledge.embed import Embedder
from faktabot.knowledge.errors import FaktabotError
from faktabot.knowledge.model import Hit, Result, Turn
from faktabot.knowledge.params import Params
from faktabot.knowledge.synonyms import Synonyms
from faktabot.knowledge.view import Limits
from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

STOP_SECONDS = 5.0  # a worker told to stop gets this long before it is terminated
CREATED = inspect.CORO_CREATED
WARM_UP = "Hvem sagde hvad hvornår?"  # loads the word lists and index statistics


@dataclass(frozen=True)
class Recipe:
    """What a worker needs to open a Knowledge that answers as the bot's own one does."""

    path: str
    synonym_files: tuple[Path, ...]
    synonyms: Synonyms | None  # only when not loaded from files (the worker loads those)
    synonym_check_seconds: float
    params: Params
    candidates: int
    limits: Limits
    # When questions are matched by meaning: the embedder's class and its model's name. A
    # model handle cannot cross processes, so each worker makes its own (without arguments).
    embedder: Callable[[], Embedder] | None = None
    vector_model: str | None = None

    @classmethod
    def of(cls, kb: Knowledge) -> Recipe | None:
        """The recipe for `kb`, or None when its database is not a file other processes see."""
        path = database_file(kb.store)
        if path is None:
            return None
        return cls(
            path=path,
            synonym_files=kb.synonym_files,
            synonyms=None if kb.synonym_files else kb.synonyms,
            synonym_check_seconds=kb.synonym_check_seconds,
            params=kb.params,
            candidates=kb.candidates,
            limits=kb.limits,
            # Not for vectors alone: a model in every worker costs memory.
            embedder=type(kb.embedder) if kb.semantic else None,
            vector_model=kb.embedder.name if kb.semantic and kb.embedder else None,
        )

    def open(self) -> Knowledge:
        embedder = self.embedder() if self.embedder is not None else None
        if embedder is not None and embedder.name != self.vector_model:
            # Opening the vectors with another model would delete the bot's.
            raise WorkerError(f"a worker made {embedder.name}, the bot {self.vector_model}")
        kb = Knowledge(
            Store.open(self.path, seed=False),
            synonyms=self.synonyms,
            params=self.params,
            candidates=self.candidates,
            limits=self.limits,
            synonym_files=self.synonym_files,
            embedder=embedder,
        )
        kb.synonym_check_seconds = self.synonym_check_seconds
        return kb


def database_file(store: Store) -> str | None:
    """The file of the store's database, or None when it lives in this process's memory."""
    path = database_path(store.db)
    return str(path) if path is not None else None


# --- in a worker process ---------------------------------------------------------------------

ASK, CONVERSE, SEARCH = "ask", "converse", "search"


def _serve(conn: Connection, recipe: Recipe, log_level: int, log_format: str) -> None:
    """A worker: open the Knowledge, say "ready", then answer requests until told to stop.

    It logs as the bot does (level and format; tokens redacted, though it has none). Signals
    are the bot's business: on Ctrl-C or SIGTERM it answers what it has taken, using the
    workers, and then stops them. A worker whose bot is gone (the pipe closes) ends too.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    configure_logging(log_level, fmt=log_format)
    try:
        kb = recipe.open()
        kb.ask(WARM_UP)  # loads the word lists and the index statistics
    except Exception as exc:
        conn.send(_failure(exc))
        return
    logger.info("Worker process %d ready", os.getpid())
    conn.send(("ok", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        kind, question, extra = request
        try:
            started = time.perf_counter()
            kb.refresh()
            value = _lookup(kb, kind, question, extra)
            reply: tuple = ("ok", (value, time.perf_counter() - started))
        except Exception as exc:
            reply = _failure(exc)
        try:
            conn.send(reply)
        except OSError:
            return  # the bot is gone
        except Exception as exc:  # the reply would not pickle
            conn.send(_failure(exc))


def _lookup(kb: Knowledge, kind: str, question: str, extra: Any) -> Any:
    """One request: `extra` is the previous turn (CONVERSE) or the limit (SEARCH)."""
    if kind == CONVERSE:
        return kb.converse(question, extra)
    if kind == SEARCH:
        return kb.search(question, limit=extra)
    return kb.ask(question)


def _failure(exc: Exception) -> tuple[str, Exception, str]:
    """An error to send back: the exception (or its repr, if it cannot travel) and traceback."""
    text = "".join(traceback.format_exception(exc))
    try:
        pickle.dumps(exc)
    except Exception:
        exc = WorkerError(repr(exc))
    return ("error", exc, text)


# --- in the bot ------------------------------------------------------------------------------


class WorkerError(FaktabotError):
    """A worker process failed, or ended with questions still waiting for it."""


class RemoteTraceback(Exception):
    """The traceback of an error in a worker process (the cause of the error re-raised here)."""

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    waiting: deque[asyncio.Future] = field(default_factory=deque)  # answered in this order
    pid: int | None = None


class Asker:
    """Looks questions up in `workers` processes (or in the event loop when there are none).

    Each worker has a pipe that the event loop watches: a request is written to the least
    busy worker, and the replies come back in the order the worker got the requests. No
    threads are involved, so the event loop never waits for the GIL to hand replies on.
    """

    def __init__(self, kb: Knowledge, workers: int, *, log_format: str = "text") -> None:
        self.kb = kb
        self.log_format = log_format
        self.recipe = Recipe.of(kb) if workers > 0 else None
        self.workers = workers if self.recipe is not None else 0
        self._running: list[_Worker] = []
        self._starting = asyncio.Lock()
        # Requests waiting in the pipes: enough to keep every worker busy, few enough that a
        # pipe never fills up (a write to a full pipe would stop the event loop).
        self._slots = asyncio.Semaphore(2 * max(self.workers, 1))

    @property
    def pids(self) -> list[int]:
        """The running workers' process ids."""
        return [w.pid for w in self._running if w.pid is not None]

    async def start(self) -> None:
        """Start the missing workers; return once each has opened the database and warmed up."""
        async with self._starting:
            missing = self.workers - len(self._running)
            if missing <= 0:
                return
            loop = asyncio.get_running_loop()
            context = _context()
            # The workers log at the level the bot logs at now (configured or not).
            log = (logging.getLogger().getEffectiveLevel(), self.log_format)
            new = []
            with _main_script_left_out():
                for _ in range(missing):
                    ours, theirs = context.Pipe()
                    process = context.Process(
                        target=_serve, args=(theirs, self.recipe, *log), name="faktabot-worker"
                    )
                    process.daemon = True  # never outlives the bot
                    process.start()
                    theirs.close()
                    worker = _Worker(process, ours)
                    worker.waiting.append(loop.create_future())  # its "ready"
                    loop.add_reader(ours.fileno(), self._receive, worker)
                    new.append(worker)
            self._running.extend(new)
            pids = await asyncio.gather(*(w.waiting[0] for w in new))
            for worker, pid in zip(new, pids, strict=True):
                worker.pid = pid
            logger.info("Answering questions in %d worker processes (%s)", len(new), pids)

    async def stop(self) -> None:
        """Stop the workers (after the bot has answered what it had taken)."""
        workers, self._running = self._running, []
        loop = asyncio.get_running_loop()
        for worker in workers:
            loop.remove_reader(worker.conn.fileno())
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        await loop.run_in_executor(None, _join, [w.process for w in workers])
        for worker in workers:
            worker.conn.close()

    async def ask(self, question: str) -> tuple[Result, float]:
        """The knowledge's answer to `question` and the seconds the lookup took."""
        return await self._request(ASK, question, None)

    async def converse(self, message: str, previous: Turn | None) -> tuple[Result, float]:
        """The reply to a chat message (Knowledge.converse) and the seconds it took."""
        return await self._request(CONVERSE, message, previous)

    async def search(self, question: str, limit: int) -> list[Hit]:
        """The best-matching facts, as Knowledge.search."""
        hits, _ = await self._request(SEARCH, question, limit)
        return hits

    async def _request(self, kind: str, question: str, extra: Any) -> tuple[Any, float]:
        """The value of one request and the seconds it took, from a worker (or here)."""
        if self.workers == 0:
            started = time.perf_counter()
            self.kb.refresh()
            value = _lookup(self.kb, kind, question, extra)
            return value, time.perf_counter() - started
        if len(self._running) < self.workers:
            await self.start()  # the first request, or a worker died
        async with self._slots:
            if not self._running:
                raise WorkerError("no worker process is running")
            worker = min(self._running, key=lambda w: len(w.waiting))
            future = asyncio.get_running_loop().create_future()
            try:
                worker.conn.send((kind, question, extra))
            except OSError:
                self._lost(worker)
                raise WorkerError("a worker process ended") from None
            worker.waiting.append(future)
            return await future

    def _receive(self, worker: _Worker) -> None:
        """The event loop saw a reply (or the end) on a worker's pipe."""
        try:
            status, value, *text = worker.conn.recv()
        except (EOFError, OSError):
            self._lost(worker)
            return
        future = worker.waiting.popleft()
        if future.done():  # its asker was cancelled
            return
        if status == "ok":
            future.set_result(value)
        else:
            value.__cause__ = RemoteTraceback(text[0])
            future.set_exception(value)

    def _lost(self, worker: _Worker) -> None:
        """A worker ended on its own (killed, out of memory): fail what it had; start anew."""
        if worker not in self._running:
            return
        self._running.remove(worker)
        asyncio.get_running_loop().remove_reader(worker.conn.fileno())
        worker.conn.close()
        worker.process.join(0)
        logger.error(
            "Worker process %s ended (exit code %s) with %d questions waiting",
            worker.pid,
            worker.process.exitcode,
            len(worker.waiting),
        )
        while worker.waiting:
            future = worker.waiting.popleft()
            if not future.done():
                future.set_exception(WorkerError("a worker process ended"))


def _context() -> multiprocessing.context.BaseContext:
    """A fork server forks the workers from a clean process that imported the matcher once;
    forking the bot itself would copy its threads and its database connection."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _join(processes: list[multiprocessing.process.BaseProcess]) -> None:
    for process in processes:
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join()


@contextlib.contextmanager
def _main_script_left_out() -> Iterator[None]:
    """Start worker processes without running the bot's main script in them.

    multiprocessing runs the parent's __main__ file again in each new process (as
    __mp_main__), which starts a second bot when a script calls build_application at its
    top level. The workers need nothing from it: what they run lives in this module.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class ChatOrder(BaseUpdateProcessor):
    """Up to `max_concurrent_updates` updates at once, but one at a time per chat, in order.

    Updates reach `do_process_update` in the order they were fetched (the Application starts
    one task per update, in order, and the semaphore before this is first come first served),
    and asyncio.Lock wakes its waiters first come first served too.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:  # inline queries: no chat to keep in order
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._waiting[chat.id] = self._waiting.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[chat.id] -= 1
            if not self._waiting[chat.id]:
                del self._waiting[chat.id], self._locks[chat.id]
            if inspect.iscoroutine(coroutine) and inspect.getcoroutinestate(coroutine) == CREATED:
                coroutine.close()  # cancelled while waiting for its turn: never started

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""
