"""Webhook mode: `faktabot run --webhook-url` registers with setWebhook, listens for
Telegram's POSTs and refuses any without the secret token.

The bot runs as a real subprocess; the fake Bot API in this process records its calls.
Telegram would POST to the public https URL; here the test plays the TLS proxy and posts
straight to the local listener.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from pathlib import Path

import httpx
import pytest
from fake_bot_api import FakeBotApi
from faktabot.bot.config import Config, ConfigError
from telegram_fixtures import FAKTABOT, PENTAGON, ROOT, SECRET, bot_env, free_port

PUBLIC_URL = "https://bot.example.test/telegram/hook-7f3a"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def wait_listening(port: int, process: asyncio.subprocess.Process) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    for _ in range(200):
        if process.returncode is not None:
            raise AssertionError(f"the bot exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError(f"nothing listens on port {port}")


async def test_webhook_checks_the_secret_and_answers(api: FakeBotApi, seeded_db: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *FAKTABOT,
        "run",
        "--webhook-url",
        PUBLIC_URL,
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-format",
        "json",
        "--db",
        str(seeded_db),
        cwd=ROOT,
        env=bot_env(api, FAKTABOT_LOG_LEVEL="DEBUG"),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        registered = await api.wait_call("setWebhook", timeout=20)
        assert registered.ok, registered.error
        assert registered.params["url"] == PUBLIC_URL
        assert registered.params["drop_pending_updates"] is False
        assert "message" in registered.params["allowed_updates"]
        assert "callback_query" in registered.params["allowed_updates"]
        secret = registered.params["secret_token"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,256}", secret), "a generated, long secret"
        await wait_listening(port, process)

        user = FakeBotApi.user(3003, "Søren")
        message = api.user_message(api.private_chat(user), PENTAGON, user=user)
        update = {"update_id": 500, "message": message}
        hook = f"http://127.0.0.1:{port}/telegram/hook-7f3a"
        async with httpx.AsyncClient() as client:
            missing = await client.post(hook, json=update)
            wrong = await client.post(hook, json=update, headers={HEADER: secret[:-1] + "x"})
            right = await client.post(hook, json=update, headers={HEADER: secret})
        assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 200)
        reply = await api.wait_sent(1, chat_id=3003, timeout=10)
        assert "Pat Ryder" in reply.text
        assert reply.params["reply_parameters"]["message_id"] == message["message_id"]
        assert not api.calls_to("getUpdates"), "a webhook bot does not poll"
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, stderr.decode()[-3000:]
    assert len(api.sent()) == 1, "the refused posts were not answered"
    log = stderr.decode()
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any("Running as @" in r["message"] for r in records)
    asking = [r for r in records if r["logger"] == "faktabot.bot.asking"]
    ready = [r for r in asking if r["message"].endswith("ready")]
    assert len(ready) == Config().workers, "each worker process logs as the bot does"
    assert SECRET not in log and secret not in log  # bot token and webhook secret redacted


def test_webhook_secret_from_the_environment_is_validated() -> None:
    assert Config.from_env({"TELEGRAM_WEBHOOK_SECRET": "abc_DEF-123"}).webhook_secret == (
        "abc_DEF-123"
    )
    generated = {Config.from_env({}).webhook_secret for _ in range(3)}
    assert len(generated) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32,256}", s) for s in generated)
    for bad in ("has space", "æøå", "a" * 257, "semi;colon"):
        with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
            Config.from_env({"TELEGRAM_WEBHOOK_SECRET": bad})


def test_webhook_settings_from_the_environment() -> None:
    config = Config.from_env(
        {"FAKTABOT_WEBHOOK_URL": PUBLIC_URL, "FAKTABOT_LISTEN": "0.0.0.0", "FAKTABOT_PORT": "88"}
    )
    assert (config.webhook_url, config.listen, config.port) == (PUBLIC_URL, "0.0.0.0", 88)
    default = Config.from_env({})
    assert (default.webhook_url, default.listen, default.port) == (None, "127.0.0.1", 8443)
    for bad in (
        {"FAKTABOT_WEBHOOK_URL": "bot.example.dk/hook"},
        {"FAKTABOT_WEBHOOK_URL": "ftp://bot.example.dk/hook"},
        {"FAKTABOT_PORT": "70000"},
        {"FAKTABOT_PORT": "otte"},
    ):
        with pytest.raises(ConfigError):
            Config.from_env(bad)


async def test_fake_api_refuses_what_telegram_refuses(api: FakeBotApi) -> None:
    """setWebhook wants https on an allowed port; getUpdates conflicts with a webhook."""
    base = f"{api.base_url}{api.token}"
    async with httpx.AsyncClient() as client:
        plain = await client.post(f"{base}/setWebhook", data={"url": "http://example.test/h"})
        odd_port = await client.post(
            f"{base}/setWebhook", data={"url": "https://example.test:9999/h"}
        )
        ok = await client.post(f"{base}/setWebhook", data={"url": PUBLIC_URL})
        conflict = await client.post(f"{base}/getUpdates")
        await client.post(f"{base}/deleteWebhook")
        polled = await client.post(f"{base}/getUpdates")
    assert (plain.status_code, odd_port.status_code, ok.status_code) == (400, 400, 200)
    assert conflict.status_code == 409 and "webhook is active" in conflict.json()["description"]
    assert polled.json() == {"ok": True, "result": []}
