"""Development sessions: ``nox`` runs lint, type checks, the tests on both servers, and docs.

One Python 3.10+ and Node.js run them all. A session whose Python the machine lacks is skipped,
with a line on how to get it; on CI (``CI`` set) it fails instead.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import nox
from python_discovery import get_interpreter

# From this version nox finds interpreters with python-discovery, which tells a pyenv shim from
# a Python: before it, a missing Python behind a shim failed the run rather than skipping.
nox.needs_version = ">=2026.8.10"
nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
# Skip a session whose Python is missing, so that one Python runs the README's command; CI must
# prove every interpreter.
nox.options.error_on_missing_interpreters = "CI" in os.environ
nox.options.sessions = ["lint", "mypy", "tests", "tests_aioboto3", "tests_oldest_python", "docs"]

ROOT = Path(__file__).parent
# The suite waits on its servers more than it computes: two workers per core (pytest-xdist)
# ran the tests session's suite in 7.5 minutes on two cores, where one process took about
# 13 before the consumer groups' tests came. Each worker starts servers of its own; the
# heaviest tests keep to one worker each (tests/conftest.py).
WORKERS = ("--numprocesses", str(2 * (os.cpu_count() or 1)), "--dist", "loadgroup")
PYPROJECT = nox.project.load_toml("pyproject.toml")
OLDEST_PYTHON = nox.project.python_versions(PYPROJECT)[0]
"""The oldest Python of the classifiers: the floor of requires-python."""


def install_node_packages(session: nox.Session) -> None:
    """dynalite and the JS library, pinned by package-lock.json."""
    if not (ROOT / "node_modules" / ".package-lock.json").exists():
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The suite on moto's server and dynalite (newest aiobotocore), with a benchmark smoke run."""
    install_node_packages(session)
    # nox for test_noxfile.py, which runs this file.
    groups = nox.project.dependency_groups(PYPROJECT, "tests", "bench", "otel")
    session.install("-e", ".", *groups, "nox")
    ignore = ["--ignore=tests/test_aioboto3.py"]
    if f"{sys.version_info.major}.{sys.version_info.minor}" == OLDEST_PYTHON:
        # The Python that runs nox always counts as found, so there test_noxfile.py cannot hide
        # the oldest one; tests_oldest_python runs rather than skips on such a machine anyway.
        ignore.append("--ignore=tests/test_noxfile.py")
    session.run("pytest", *WORKERS, *ignore, *session.posargs, env=_test_env())


@nox.session
def tests_aioboto3(session: nox.Session) -> None:
    """The suite on aioboto3 and the aiobotocore 2.25 it pins."""
    install_node_packages(session)
    session.install("-e", ".[aioboto3]", *nox.project.dependency_groups(PYPROJECT, "tests", "otel"))
    session.run("python", "-c", "import aiobotocore; print('aiobotocore', aiobotocore.__version__)")
    # The benchmark smoke run needs the bench group, whose newest boto3 pip cannot square with
    # aioboto3's pins in one install: the tests session runs it, and test_noxfile.py.
    session.run(
        "pytest",
        *WORKERS,
        "--ignore=tests/test_benchmarks_smoke.py",
        "--ignore=tests/test_noxfile.py",
        *session.posargs,
        env=_test_env(),
    )


@nox.session(python=OLDEST_PYTHON)
def tests_oldest_python(session: nox.Session) -> None:
    """The suite on the oldest supported Python and the newest aiobotocore, where that Python is.

    Without OpenTelemetry: the store must work, and import none of it, without the extra.
    """
    install_node_packages(session)
    # Without the bench group: the benchmarks are a tool, the tests session runs their smoke run.
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "tests"))
    session.run(
        "pytest",
        *WORKERS,
        "--ignore=tests/test_aioboto3.py",
        "--ignore=tests/test_telemetry.py",  # its SDK is not installed here
        "--ignore=tests/test_benchmarks_smoke.py",
        "--ignore=tests/test_noxfile.py",  # the tests session runs it: here nox would find 3.10
        *session.posargs,
        env=_test_env(),
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff's checks and formatting."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def mypy(session: nox.Session) -> None:
    """mypy --strict on the package, tests, docs examples, benchmarks and this file."""
    # Without aioboto3 (typed as missing): its pins don't resolve beside the bench group.
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "typing"), "nox")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, built with --strict: a broken link or docstring fails it."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "docs"))
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmark suite of issue 5 (not run by default): see docs/benchmarks.md."""
    install_node_packages(session)
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "bench"))
    session.run("python", "-m", "benchmarks.run", *session.posargs)


def _test_env() -> dict[str, str]:
    return {"AIO_EVENTSTORE_FORBID_SKIPS": os.environ.get("AIO_EVENTSTORE_FORBID_SKIPS", "1")}


def _say_how_to_get_the_oldest_python() -> None:
    """On a machine without it, one line up front: nox's skip line says which, not how to get it."""
    # The lookup nox makes: PATH (pyenv's shims resolved to its active versions), uv's Pythons.
    if get_interpreter(OLDEST_PYTHON) is not None:
        return
    logging.getLogger("nox").warning(
        "No Python %(v)s found: tests_oldest_python is skipped (on CI it fails). Get one with "
        "`uv python install %(v)s`, `pyenv install %(v)s` and the README's PYENV_VERSION line, "
        "or your OS's python%(v)s package.",
        {"v": OLDEST_PYTHON},
    )


_say_how_to_get_the_oldest_python()
