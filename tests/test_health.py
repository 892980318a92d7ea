"""/healthz and /metrics: served from the running bot, counting what it really does."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from faktabot.bot.config import Config
from faktabot.bot.health import HealthError, Metrics, error_kind
from faktabot.knowledge import Knowledge
from prometheus_client.parser import text_string_to_metric_families
from telegram_fixtures import HOSTAGES, OFF_TOPIC, PENTAGON, StartBot, free_port


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """Prometheus text format → {(sample name, sorted labels): value}."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_healthz_and_metrics_answer_and_count_questions(start_bot: StartBot) -> None:
    port = free_port()
    bot = await start_bot(health_port=port)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        health = await client.get("/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok"
        assert body["database"] == {
            "ok": True,
            "articles": len(bot.kb.articles()),
            "facts": sum(a.facts for a in bot.kb.articles()),
        }
        nothing = {"total": 0, "answered": 0, "declined": 0, "follow_ups": 0, "small_talk": 0}
        assert body["questions"] == nothing
        # getMe and setMyCommands went through before the server started
        assert body["telegram"]["last_success_seconds_ago"] is not None

        await bot.ask_private(PENTAGON)
        await bot.ask_private(HOSTAGES)
        await bot.ask_private(OFF_TOPIC)
        await bot.ask_private("/om")  # not a question: not counted
        await bot.ask_private("tak")  # small talk: counted apart, never searched
        await bot.ask_private("hvad ellers?")  # a follow-up on the 32.000 sentence

        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        values = samples(metrics.text)
        assert values[("faktabot_questions_total", ())] == 4
        assert values[("faktabot_answered_total", ())] == 3
        assert values[("faktabot_declined_total", ())] == 1
        assert values[("faktabot_follow_ups_total", ())] == 1
        assert values[("faktabot_small_talk_total", (("intent", "thanks"),))] == 1
        assert values[("faktabot_answer_latency_seconds_count", ())] == 4
        assert values[("faktabot_telegram_last_success_timestamp_seconds", ())] > 0
        after = (await client.get("/healthz")).json()
        assert after["questions"] == {
            "total": 4,
            "answered": 3,
            "declined": 1,
            "follow_ups": 1,
            "small_talk": 1,
        }

        assert (await client.get("/nope")).status_code == 404
        assert (await client.post("/healthz")).status_code == 405
        head = await client.head("/healthz")
        assert head.status_code == 200 and head.content == b""


async def test_healthz_is_503_when_the_database_cannot_be_read(
    start_bot: StartBot, tmp_path: Path
) -> None:
    port = free_port()
    kb = Knowledge.open(tmp_path / "health.db")
    await start_bot(knowledge=kb, health_port=port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        assert (await client.get("/healthz")).status_code == 200
        kb.store.db.conn.close()
        broken = await client.get("/healthz")
        assert (await client.get("/metrics")).status_code == 200  # metrics do not need the DB
    assert broken.status_code == 503
    assert broken.json()["status"] == "error"
    assert broken.json()["database"]["ok"] is False


async def test_failed_telegram_calls_are_counted_by_kind(start_bot: StartBot) -> None:
    bot = await start_bot()
    bot.api.fail_next("sendMessage", code=403, description="Forbidden: bot was blocked by the user")
    await bot.api.send_private(PENTAGON)
    await bot.ask_private(HOSTAGES)  # updates are handled in order: the first is done
    registry = bot.app.bot_data.metrics.registry
    assert registry.get_sample_value("faktabot_telegram_errors_total", {"kind": "forbidden"}) == 1
    assert bot.app.bot_data.metrics.total("telegram_errors") == 1
    assert bot.app.bot_data.metrics.total("answered") == 2  # the blocked user was answered too


async def test_health_port_in_use_stops_the_start(start_bot: StartBot) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(HealthError, match="FAKTABOT_HEALTH_PORT"):
            await start_bot(health_port=taken.getsockname()[1])


def test_each_application_counts_on_its_own() -> None:
    first, second = Metrics(), Metrics()
    first.questions.inc()
    assert (first.total("questions"), second.total("questions")) == (1, 0)


def test_error_kinds_and_health_settings() -> None:
    kinds = [error_kind(s) for s in (400, 401, 403, 404, 409, 429, 418, 502)]
    assert kinds == [
        "bad_request",
        "unauthorized",
        "forbidden",
        "not_found",
        "conflict",
        "rate_limited",
        "other",
        "server",
    ]
    assert Config.from_env({}).health_port == 9090
    assert Config.from_env({}).health_listen == "127.0.0.1"
    assert Config.from_env({"FAKTABOT_HEALTH_PORT": "off"}).health_port == 0
    assert Config.from_env({"FAKTABOT_HEALTH_PORT": "0"}).health_port == 0
    assert Config().health_port == 0  # built in code (tests, embedding): no listener
