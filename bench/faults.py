"""Faults an operator meets, tried on real `faktabot` processes; prints what each found.

kill       ingests killed with SIGKILL at random moments (the first of each round on a
           new database, so during first use too); then every ingest that finished
           must be whole, the seed present, nothing twice, the FTS5 index sound
together   4 ingests, a removal and 8 loops of questions at once on one database
damage     copies of a database truncated or with pages overwritten: every command
           says so in one line, ingest writes nothing
full disk  a 4 MiB tmpfs filled by an ingest, where this machine lets us mount one

  python bench/faults.py [--kills 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PENTAGON = "Hvem er talsmand for Pentagon?"


def faktabot(db: Path, *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    """A `faktabot` process; `stdin` is written to it at once (and closed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAKTABOT_", "TELEGRAM_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "faktabot.bot.cli", "--db", str(db), *args],
        cwd=ROOT,
        env={**env, "PYTHONIOENCODING": "utf-8"},
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
        proc.stdin = None
    return proc


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=600)
    return proc.returncode, out, err


def articles(path: Path, town: str, count: int) -> Path:
    rows = [
        {
            "title": f"{town} {n}",
            "text": f"Byrådet i {town} vedtog budget nummer {n} i aftes. "
            f"Borgmesteren kalder budget {n} en sejr for byens {n % 89} skoler.",
        }
        for n in range(count)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def state(db: Path) -> dict[str, object]:
    """What the database holds, read with plain sqlite3 (not faktabot's own code)."""
    conn = sqlite3.connect(db)
    try:
        titles = [r[0] for r in conn.execute("SELECT title FROM articles")]
        fts = "ok"
        try:
            conn.execute("INSERT INTO facts_fts(facts_fts) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as exc:
            fts = str(exc)
        seed = conn.execute("SELECT count(*) FROM facts WHERE text LIKE '%Pat Ryder%'").fetchone()[
            0
        ]
        return {
            "titles": titles,
            "twice": len(titles) - len(set(titles)),
            "seed": seed > 0,
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
            "fts": fts,
        }
    finally:
        conn.close()


def one_line(err: str) -> bool:
    lines = [line for line in err.splitlines() if line.strip()]
    return "Traceback" not in err and any(line.startswith("faktabot: ") for line in lines)


# --- the trials -------------------------------------------------------------------------------


def kills(work: Path, rounds: int, rng: random.Random) -> list[tuple[str, str, bool]]:
    rows = []
    for number in range(rounds):
        db = work / f"kill{number % 3}.db"
        if number % 3 == 0:
            for stale in work.glob(f"kill{number % 3}.db*"):
                stale.unlink()
        town = f"By{number}"
        file = articles(work / f"{town}.jsonl", town, 3000)
        done = []
        first = not db.exists()
        if rng.random() < 0.5:  # sometimes an ingest finishes first, and must stay whole
            prior = articles(work / f"{town}x.jsonl", f"{town}x", 200)
            if finish(faktabot(db, "ingest", str(prior)))[0] == 0:
                done.append((f"{town}x", 200))
            first = False
        after = rng.uniform(0.2, 2.5)
        proc = faktabot(db, "ingest", str(file))
        time.sleep(after)
        killed = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        if not killed:
            done.append((town, 3000))
        reopened = finish(faktabot(db, "articles"))[0]  # what the operator runs next
        found = state(db)
        whole = all(
            sum(t.startswith(f"{name} ") for t in found["titles"]) == count  # type: ignore[union-attr]
            for name, count in done
        )
        fine = (
            reopened == 0
            and found["seed"]
            and whole
            and not found["twice"]
            and found["integrity"] == "ok"
            and found["fts"] == "ok"
        )
        what = f"killed after {after:.1f} s{' (first use)' if first else ''}"
        rows.append(
            (
                what,
                f"seed {found['seed']}, {len(done)} finished whole: {whole}, "
                f"twice {found['twice']}, integrity {found['integrity']}, fts {found['fts']}",
                bool(fine),
            )
        )
    return rows


def together(work: Path) -> list[tuple[str, str, bool]]:
    db = work / "together.db"
    finish(faktabot(db, "articles"))
    files = [articles(work / f"t{n}.jsonl", f"Samby{n}", 800) for n in range(4)]
    procs = [faktabot(db, "ingest", str(f)) for f in files]
    time.sleep(0.5)
    procs.append(faktabot(db, "remove", "1"))
    questions = "\n".join([PENTAGON, "Hvad vedtog byrådet i Samby1?"] * 10)
    askers = [faktabot(db, "ask", "--json", stdin=questions) for _ in range(8)]
    results = [finish(p) for p in procs]
    asked = [finish(p) for p in askers]
    found = state(db)
    failed = sum(code != 0 for code, _, _ in results + asked)
    count = len(found["titles"])  # type: ignore[arg-type]
    fine = failed == 0 and count == 3200 and found["integrity"] == "ok" and found["fts"] == "ok"
    detail = (
        f"{failed} of {len(results) + len(asked)} processes failed; {count} articles "
        f"(want 3200: 4 x 800, seed removed); integrity {found['integrity']}, "
        f"fts {found['fts']}"
    )
    return [("4 ingests + remove + 8 askers", detail, fine)]


def damage(work: Path) -> list[tuple[str, str, bool]]:
    whole = work / "whole.db"
    file = articles(work / "d.jsonl", "Skadeby", 400)
    finish(faktabot(whole, "ingest", str(file)))
    conn = sqlite3.connect(whole)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = whole.read_bytes()
    page = 16_384
    copies = {
        "truncated to a third": data[: len(data) // 3],
        "pages overwritten": data[: 4 * page] + os.urandom(2 * page) + data[6 * page :],
        "garbage": os.urandom(len(data)),
    }
    new = articles(work / "n.jsonl", "Nyby", 3)
    rows = []
    for name, content in copies.items():
        copy = work / f"{name.replace(' ', '-')}.db"
        copy.write_bytes(content)
        before = copy.read_bytes()
        ingest = finish(faktabot(copy, "ingest", str(new)))
        unchanged = copy.read_bytes() == before  # (a question may write its statistics)
        ask = finish(faktabot(copy, "ask", PENTAGON))
        lines = one_line(ingest[2]) and (ask[0] == 0 or one_line(ask[2]))
        fine = ingest[0] != 0 and unchanged and lines
        rows.append(
            (
                name,
                f"ingest exit {ingest[0]}, file unchanged {unchanged}, "
                f"ask exit {ask[0]}, one line each {lines}",
                fine,
            )
        )
    return rows


def full_disk(work: Path) -> list[tuple[str, str, bool]]:
    mount = work / "small"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        return [("full disk", "skipped: this machine does not let us mount a small tmpfs", True)]
    try:
        db = mount / "full.db"
        file = articles(work / "big.jsonl", "Fuldby", 20_000)
        code, _, err = finish(faktabot(db, "ingest", str(file)))
        found = state(db)
        saved = next((ln for ln in err.splitlines() if "before the error" in ln), "")
        fine = code != 0 and one_line(err) and bool(saved) and found["integrity"] == "ok"
        return [
            ("4 MiB disk filled", f"exit {code}; '{saved}'; integrity {found['integrity']}", fine)
        ]
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="faktabot-faults-"))
    started = time.perf_counter()
    try:
        rows = kills(work, args.kills, rng) + together(work) + damage(work) + full_disk(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    print(f"{'tried':<{width}}  ok    found")
    for what, found, fine in rows:
        print(f"{what:<{width}}  {'yes' if fine else 'NO ':<4}  {found}")
    bad = sum(not r[2] for r in rows)
    seconds = time.perf_counter() - started
    print(f"\n{len(rows) - bad} of {len(rows)} as they must be ({seconds:.0f} s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
