"""Development sessions: ``nox`` runs lint, type checks, the tests on both servers, and docs."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "mypy", "tests", "tests_aioboto3", "docs"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")


def install_node_packages(session: nox.Session) -> None:
    """dynalite and the JS library, pinned by package-lock.json."""
    if not (ROOT / "node_modules" / ".package-lock.json").exists():
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """The suite on moto's server and dynalite (newest aiobotocore), with a benchmark smoke run."""
    install_node_packages(session)
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "tests", "bench"))
    session.run("pytest", "--ignore=tests/test_aioboto3.py", *session.posargs, env=_test_env())


@nox.session(python="3.10")
def tests_aioboto3(session: nox.Session) -> None:
    """The suite on the oldest supported line: Python 3.10, aioboto3 and its aiobotocore 2.25."""
    install_node_packages(session)
    session.install("-e", ".[aioboto3]", *nox.project.dependency_groups(PYPROJECT, "tests"))
    session.run("python", "-c", "import aiobotocore; print('aiobotocore', aiobotocore.__version__)")
    # The benchmark smoke run needs the bench group, whose newest boto3 pip cannot square with
    # aioboto3's pins in one install: the tests session runs it.
    session.run(
        "pytest", "--ignore=tests/test_benchmarks_smoke.py", *session.posargs, env=_test_env()
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
