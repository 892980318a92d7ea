"""The deployment files: a safe Dockerfile, a valid systemd unit, and an .env.example that
documents every variable the code reads."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from faktabot.bot.logs import JsonFormatter, RedactTokenFilter
from telegram_fixtures import SECRET, TOKEN

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
ENV_NAME = re.compile(r"""["'](?P<name>(?:TELEGRAM|FAKTABOT)_[A-Z0-9_]+)["']""")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_runs_as_a_user_with_a_healthcheck_and_no_secrets() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.12-slim")
    users = [arg for word, arg in instructions if word == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}, "the last USER is not root"
    runs = " ".join(arg for word, arg in instructions if word == "RUN")
    assert "pip install '.[semantic]'" in runs and "useradd --system --uid 10001" in runs
    healthchecks = [arg for word, arg in instructions if word == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and "/healthz" in healthchecks[0]
    assert "urllib.request" in healthchecks[0] and "curl" not in healthchecks[0]
    settings = " ".join(arg for word, arg in instructions if word == "ENV")
    assert "FAKTABOT_DB=/data/faktabot.db" in settings
    assert any(word == "VOLUME" and "/data" in arg for word, arg in instructions)
    for word, arg in instructions:
        if word in {"ENV", "ARG"}:
            for name, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?", arg):
                if re.search(r"TOKEN|SECRET|PASSWORD|KEY", name, re.IGNORECASE):
                    assert not value, f"{word} {name} bakes a secret into the image"
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert not re.search(r"\d{5,}:[A-Za-z0-9_-]{20,}", text), "a bot token in the Dockerfile"


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    assert {".venv", ".git", ".pytest_cache", "*.db", "tests"} <= ignored
    assert "README.md" not in ignored, "pip install . needs the readme named in pyproject"


def test_env_example_lists_every_variable_the_code_reads() -> None:
    read = {
        match["name"]
        for package in ("bot", "knowledge")
        for path in (ROOT / package).rglob("*.py")
        for match in ENV_NAME.finditer(path.read_text(encoding="utf-8"))
    }
    assert {"TELEGRAM_BOT_TOKEN", "FAKTABOT_DB", "FAKTABOT_WEBHOOK_URL"} <= read
    lines = (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines()
    documented = {}
    for number, line in enumerate(lines):
        match = re.fullmatch(r"#? ?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            documented[match[1]] = lines[number - 1]
    missing = sorted(read - set(documented))
    assert not missing, f"add these to deploy/.env.example with a comment: {missing}"
    for name, above in documented.items():
        assert above.startswith("# ") and "=" not in above.split()[1], f"{name} has no comment"
    assert re.search(r"^TELEGRAM_BOT_TOKEN=$", "\n".join(lines), re.MULTILINE), "empty token"
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    undocumented = sorted(name for name in documented if f"| `{name}`" not in guide)
    assert not undocumented, f"add these to the table in docs/deploy.md: {undocumented}"


def test_compose_file_has_polling_by_default_and_a_webhook_profile() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    services = text.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    polling, webhook = re.split(r"\n(?=  faktabot-webhook:)", services)
    assert "profiles" not in polling and 'FAKTABOT_WEBHOOK_URL: ""' in polling
    assert 'profiles: ["webhook"]' in webhook and "--webhook-url" in webhook
    assert "env_file: .env" in text and "faktabot-data:/data" in text
    assert re.search(r"^volumes:\n  faktabot-data:", text, re.MULTILINE)


UNIT_SETTINGS = {
    "DynamicUser": "yes",
    "StateDirectory": "faktabot",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "EnvironmentFile": "-/etc/faktabot/env",
    "Restart": "on-failure",
    "KillSignal": "SIGTERM",
}


def test_systemd_unit_is_hardened() -> None:
    text = (DEPLOY / "faktabot.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^([A-Za-z]+)=(.*)$", text, re.MULTILINE))
    for key, value in UNIT_SETTINGS.items():
        assert settings.get(key) == value, key
    assert int(settings["TimeoutStopSec"]) <= 60
    assert settings["ExecStart"].endswith("/faktabot run")


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (apt-get install systemd to run this check)",
)
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    # verify also checks that ExecStart's program exists; the real one is installed at
    # deploy time, so point it at this interpreter and check everything else.
    text = (DEPLOY / "faktabot.service").read_text(encoding="utf-8")
    unit = tmp_path / "faktabot.service"
    unit.write_text(
        re.sub(r"^ExecStart=\S+", f"ExecStart={sys.executable}", text, flags=re.MULTILINE),
        encoding="utf-8",
    )
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_json_log_lines_keep_the_token_out() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactTokenFilter([TOKEN, "webhook-secret-42"]))
    log = logging.getLogger("test.deploy.json")
    log.addHandler(handler)
    log.propagate = False
    log.setLevel(logging.DEBUG)
    try:
        log.warning("calling https://api.telegram.org/bot%s/getMe", TOKEN, extra={"chat": 7})
        log.info("secret is webhook-secret-42", extra={"url": f"/bot{TOKEN}/x", "n": 3})
        try:
            raise RuntimeError(f"boom at /bot{TOKEN}/sendMessage")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["level"] for r in records] == ["WARNING", "INFO", "ERROR"]
    assert records[0]["logger"] == "test.deploy.json" and records[0]["chat"] == 7
    assert records[1]["n"] == 3 and records[1]["url"] == "/bot[REDACTED]/x"
    assert "RuntimeError" in records[2]["exception"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", records[0]["time"])
    output = stream.getvalue()
    assert SECRET not in output and "webhook-secret-42" not in output
    assert output.count("[REDACTED]") >= 4
