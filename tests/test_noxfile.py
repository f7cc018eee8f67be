"""The README's test command runs on one Python: a session whose Python is missing is skipped.

Each test runs ``python -m nox`` as a contributor would, on a machine where no Python 3.10
can be found: PATH is an empty directory (no ``python3.10``, no pyenv shims), HOME is empty
(no Pythons that uv or nox downloaded), no pyenv version is named, and the Python that runs
nox is newer (the noxfile keeps this file off 3.10). A skipped session creates no virtualenv
and installs nothing, so each run takes about a second.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OLDEST = "tests_oldest_python"


def run_nox(tmp_path: Path, *args: str, ci: bool = False) -> subprocess.CompletedProcess[str]:
    """``python -m nox ARGS`` where no Python but the one running it can be found."""
    for empty in ("bin", "home"):
        (tmp_path / empty).mkdir(exist_ok=True)
    env = {
        "PATH": str(tmp_path / "bin"),
        "HOME": str(tmp_path / "home"),
        "NOX_DOWNLOAD_PYTHON": "never",  # nor fetched, whatever extras this nox has
        "NO_COLOR": "1",
    }
    if ci:
        env["CI"] = "1"
    return subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "nox", "--envdir", str(tmp_path / "envs"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_only_the_oldest_python_session_asks_for_an_interpreter(tmp_path: Path) -> None:
    listing = run_nox(tmp_path, "--list", "--json")
    assert listing.returncode == 0, listing.stderr
    sessions: list[dict[str, Any]] = json.loads(listing.stdout)
    default = {session["name"]: session["python"] for session in sessions}
    assert set(default) == {"lint", "mypy", "tests", "tests_aioboto3", OLDEST, "docs"}
    # The others run on the Python that runs nox: aiobotocore 2.25 does not need 3.10.
    assert {name for name, python in default.items() if python is not None} == {OLDEST}
    assert default[OLDEST] == "3.10"


def test_without_its_python_the_session_is_skipped_with_how_to_get_one(tmp_path: Path) -> None:
    run = run_nox(tmp_path, "--sessions", OLDEST)
    assert run.returncode == 0, run.stderr
    assert f"Session {OLDEST} skipped: Python interpreter 3.10 not found" in run.stderr
    assert (
        f"No Python 3.10 found: {OLDEST} is skipped (on CI it fails). Get one with "
        "`uv python install 3.10`, `pyenv install 3.10` and the README's PYENV_VERSION line, "
        "or your OS's python3.10 package."
    ) in run.stderr
    assert not (tmp_path / "envs" / OLDEST).exists()


def test_on_ci_a_missing_python_fails_the_run(tmp_path: Path) -> None:
    run = run_nox(tmp_path, "--sessions", OLDEST, ci=True)
    assert run.returncode == 1, run.stderr
    assert f"Session {OLDEST} failed: Python interpreter 3.10 not found" in run.stderr
    assert not (tmp_path / "envs" / OLDEST).exists()
