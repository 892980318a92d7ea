"""Graceful shutdown: SIGTERM while questions stream in loses none and answers none twice.

`faktabot run` polls the fake Bot API as a real subprocess. On SIGTERM it stops polling,
confirms what it fetched with a last getUpdates, answers everything it had fetched and
exits 0; a restarted bot then picks up exactly the unconfirmed rest.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import httpx
from fake_bot_api import FakeBotApi
from telegram_fixtures import FAKTABOT, HOSTAGES, OFF_TOPIC, PENTAGON, ROOT, SECRET, bot_env

UPDATES = 60
USERS = [FakeBotApi.user(6000 + i, f"Bruger {i}") for i in range(6)]  # 10 each: no flood limit
QUESTIONS = (PENTAGON, HOSTAGES, OFF_TOPIC)


async def start_bot(api: FakeBotApi, db: Path) -> asyncio.subprocess.Process:
    """`faktabot run` against the fake API, once it has started polling."""
    commands_before = len(api.calls_to("setMyCommands"))
    process = await asyncio.create_subprocess_exec(
        *FAKTABOT,
        "run",
        "--db",
        str(db),
        cwd=ROOT,
        env=bot_env(api),
        stderr=asyncio.subprocess.PIPE,
    )
    await api.wait_call("setMyCommands", count=commands_before + 1, timeout=20)
    return process


async def stop_bot(process: asyncio.subprocess.Process) -> str:
    """SIGTERM, then the exit status must be 0 within seconds; returns the log."""
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), 15)
    log = stderr.decode()
    assert process.returncode == 0, log[-3000:]
    return log


def answered(api: FakeBotApi, updates: list[dict]) -> Counter[int]:
    """How many replies each update (by update_id) got."""
    by_message = {
        (u["message"]["chat"]["id"], u["message"]["message_id"]): u["update_id"] for u in updates
    }
    return Counter(
        by_message[(int(c.params["chat_id"]), c.params["reply_parameters"]["message_id"])]
        for c in api.sent()
    )


async def test_sigterm_mid_stream_then_restart_answers_each_update_once(
    api: FakeBotApi, seeded_db: Path
) -> None:
    pushed: list[dict] = []

    async def stream() -> None:
        for i in range(UPDATES):
            user = USERS[i % len(USERS)]
            pushed.append(await api.send_private(QUESTIONS[i % len(QUESTIONS)], user=user))
            await asyncio.sleep(0.02)

    first = await start_bot(api, seeded_db)
    producer = asyncio.create_task(stream())
    try:
        await api.wait_for(lambda _: len(api.sent()) >= 10, timeout=20, what="10 answers")
        log = await stop_bot(first)  # while the producer keeps pushing
        so_far = answered(api, pushed)
        assert max(so_far.values()) == 1
        assert len(so_far) < UPDATES, "SIGTERM should come mid-stream"
        # Everything it confirmed, it answered (nothing fetched was dropped at shutdown).
        confirmed = {u["update_id"] for u in pushed if u["update_id"] < api.confirmed_up_to}
        assert confirmed == set(so_far)

        second = await start_bot(api, seeded_db)
        await producer
        await api.wait_for(
            lambda _: len(answered(api, pushed)) == UPDATES, timeout=30, what="every answer"
        )
        log += await stop_bot(second)
    finally:
        producer.cancel()
        for process in (first, locals().get("second")):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()

    replies = answered(api, pushed)
    assert set(replies) == {u["update_id"] for u in pushed}
    assert set(replies.values()) == {1}, "each update answered exactly once"
    assert api.confirmed_up_to == pushed[-1]["update_id"] + 1, "the last stop confirmed all"
    assert "Application is stopping" in log
    assert SECRET not in log


async def test_fake_api_keeps_telegrams_polling_rules(api: FakeBotApi) -> None:
    """Confirmed updates are gone for good; a second poller ends the first with 409."""
    base = f"{api.base_url}{api.token}/getUpdates"
    first, second = await api.send_private(PENTAGON), await api.send_private(HOSTAGES)
    async with httpx.AsyncClient() as client:
        both = (await client.post(base)).json()["result"]
        assert [u["update_id"] for u in both] == [first["update_id"], second["update_id"]]
        rest = (await client.post(base, data={"offset": second["update_id"]})).json()["result"]
        assert [u["update_id"] for u in rest] == [second["update_id"]]
        again = (await client.post(base, data={"offset": first["update_id"]})).json()["result"]
        assert [u["update_id"] for u in again] == [second["update_id"]], "first stays confirmed"

        offset = {"offset": second["update_id"] + 1}
        polls = api._current_poll
        waiting = asyncio.create_task(client.post(base, data={**offset, "timeout": 5}))
        while api._current_poll == polls:  # until the long poll has arrived and waits
            await asyncio.sleep(0.01)
        newer = await client.post(base, data=offset)
        older = await waiting
    assert newer.json() == {"ok": True, "result": []}
    assert older.status_code == 409 and "terminated by other getUpdates" in older.text
