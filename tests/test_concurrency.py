"""Several processes on one database file: writers wait their turn, a first run stopped at
any moment leaves a database with its seed article (issue 17, items 1-3).

Real `faktabot` processes on a real file; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faktabot.knowledge import Knowledge

ROOT = Path(__file__).resolve().parent.parent
PENTAGON = "Hvem er talsmand for Pentagon?"


def faktabot(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKTABOT_", "TELEGRAM_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "faktabot.bot.cli", "--db", str(db), *args],
        cwd=ROOT,
        env={**env, "PYTHONIOENCODING": "utf-8"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def articles_file(path: Path, town: str, count: int) -> Path:
    """`count` short articles about a made-up town (JSON lines); enough for a bulk ingest."""
    rows = [
        {
            "title": f"{town} nr. {n}",
            "text": f"Byrådet i {town} vedtog i aften budget nummer {n} for skolerne. "
            f"Borgmester {town}sen kalder det {n}. budget en sejr for byens {n * 7} elever.",
        }
        for n in range(count)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_two_ingests_at_once_into_one_database_both_land(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    first = articles_file(tmp_path / "a.jsonl", "Aabyby", 600)
    second = articles_file(tmp_path / "b.jsonl", "Boesby", 600)
    Knowledge.open(db)
    runs = [faktabot(db, "ingest", str(first)), faktabot(db, "ingest", str(second))]
    results = [finish(proc) for proc in runs]
    for code, _, err in results:
        assert code == 0, err
        assert "locked" not in err
    titles = [a.title for a in Knowledge.open(db).articles()]
    assert len(titles) == 1 + 1200  # the seed, and every article of both files, once
    assert len(set(titles)) == len(titles)


def test_a_removal_during_an_ingest_waits_its_turn(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    Knowledge.open(db)  # the seed is article 1
    big = articles_file(tmp_path / "big.jsonl", "Cirkelby", 400)
    ingest = faktabot(db, "ingest", str(big))
    time.sleep(0.8)  # the ingest is writing by now
    removal = finish(faktabot(db, "remove", "1"))
    assert removal[0] == 0, removal[2]
    assert finish(ingest)[0] == 0
    kb = Knowledge.open(db)
    assert len(kb.articles()) == 400
    assert kb.ask(PENTAGON).answer is None  # the seed is gone, as asked


def test_many_processes_opening_a_database_that_does_not_exist_yet(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    asks = [faktabot(db, "ask", PENTAGON, "--json") for _ in range(6)]
    for code, out, err in (finish(proc) for proc in asks):
        assert code == 0, err
        record = json.loads(out)
        assert record["answer"] is not None and "Pat Ryder" in record["answer"]["sentence"]
    assert len(Knowledge.open(db).articles()) == 1


@pytest.mark.parametrize("after", [0.5, 0.8, 1.1])
def test_a_first_run_killed_at_any_moment_leaves_the_seed_article(
    tmp_path: Path, after: float
) -> None:
    db = tmp_path / "first.db"
    big = articles_file(tmp_path / "big.jsonl", "Dalby", 400)
    ingest = faktabot(db, "ingest", str(big))
    time.sleep(after)
    ingest.send_signal(signal.SIGKILL)
    ingest.communicate(timeout=30)
    answer = Knowledge.open(db).ask(PENTAGON).answer
    assert answer is not None and "Pat Ryder" in answer.fact.text


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed ingest's worker may wait to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_a_killed_ingest_takes_its_worker_process_with_it(tmp_path: Path) -> None:
    db = tmp_path / "worker.db"
    Knowledge.open(db)
    big = articles_file(tmp_path / "big.jsonl", "Egeby", 3000)
    ingest = faktabot(db, "ingest", str(big))
    deadline = time.monotonic() + 20
    while not (workers := _children(ingest.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers, "the bulk ingest forked no worker"
    ingest.send_signal(signal.SIGKILL)
    ingest.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_running, workers))
