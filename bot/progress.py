"""A progress bar on stderr for long commands (`ingest`, `embed`), drawn with rich.

rich draws from a thread of its own by default; here the bar is redrawn by the caller's
own updates instead (at most REFRESH_SECONDS apart), because a large ingest forks its
analysis worker only from a process with one thread (`Store.add_many`).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

REFRESH_SECONDS = 0.2


def on_terminal() -> bool:
    return sys.stderr.isatty()


@contextlib.contextmanager
def progress_bar(total: int, what: str, *, show: bool = True) -> Iterator[Callable[[int], None]]:
    """A function to call with how many more are done; nothing is drawn unless `show` and
    stderr is a terminal."""
    if not show or not on_terminal():
        yield lambda done=1: None
        return
    bar = Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        auto_refresh=False,
        transient=False,
    )
    task = bar.add_task(what, total=total)
    drawn = 0.0

    def advance(done: int = 1) -> None:
        nonlocal drawn
        bar.advance(task, done)
        if time.monotonic() - drawn >= REFRESH_SECONDS:
            bar.refresh()
            drawn = time.monotonic()

    with bar:
        yield advance
        bar.refresh()
