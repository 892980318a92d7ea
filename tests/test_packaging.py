"""The wheel a user installs: one import name of our own, the bundled data, a working CLI.

The wheel is built from a copy of the repository, offline and without build isolation, and
installed into a fresh virtual environment that borrows only the dependencies (through a
.pth line) from the environment running the tests, never the project itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "knowledge", "bot")


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    pip = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index")
    run(*pip, "--wheel-dir", out, source, cwd=source)
    (built,) = out.glob("faktabot-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", "--without-pip", home, cwd=home)
    python = home / "bin" / "python"
    site = Path(
        run(
            python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=home
        ).strip()
    )
    # The dependencies come from the running environment, read as plain paths: its .pth
    # files (among them the editable install of this repository) are not executed.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        wheel,
        cwd=home,
    )
    return home


def test_the_wheel_holds_one_top_level_name_and_the_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.startswith("faktabot-")}
    assert tops == {"faktabot"}, "nothing but faktabot/ at the top of site-packages"
    assert "faktabot/__init__.py" not in names  # a namespace: other faktabot.* may join
    assert "faktabot/knowledge/data/seed_article.txt" in names
    assert "faktabot/knowledge/data/params.json" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


def test_faktabot_ask_works_in_a_clean_venv(venv: Path, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "FAKTABOT_DB": str(tmp_path / "kb.sqlite"),
    }
    python = venv / "bin" / "python"
    where = run(
        python,
        "-c",
        "import faktabot.knowledge as k, faktabot.bot as b; print(k.__file__, b.__file__)",
        cwd=tmp_path,
        env=env,
    )
    assert where.count(str(venv)) == 2, f"imported from outside the venv: {where}"
    alone = subprocess.run(
        [python, "-c", "import knowledge"], cwd=tmp_path, env=env, capture_output=True
    )
    assert alone.returncode != 0, "a top-level `knowledge` module is importable"
    faktabot = venv / "bin" / "faktabot"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    assert run(faktabot, "--version", cwd=tmp_path, env=env).strip() == f"faktabot {version}"
    answer = run(faktabot, "ask", "Hvem styrer sundhedsministeriet i Gaza?", cwd=tmp_path, env=env)
    assert "styret af Hamas" in answer, answer
