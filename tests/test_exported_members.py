"""The public face: what ``aio_eventstore`` exports, and nothing by accident."""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path

import pytest

import aio_eventstore

PACKAGE = Path(aio_eventstore.__file__).parent


def test_all_names_every_public_member_once() -> None:
    # ruff (RUF022) keeps __all__ sorted; this pins what it holds.
    public = {name for name in dir(aio_eventstore) if not name.startswith("_")}
    assert len(aio_eventstore.__all__) == len(set(aio_eventstore.__all__))
    assert set(aio_eventstore.__all__) == public


def test_public_members_claim_the_package_as_their_module() -> None:
    for name in aio_eventstore.__all__:
        member = getattr(aio_eventstore, name)
        if hasattr(member, "__module__"):
            assert member.__module__ == "aio_eventstore", name


def test_every_exception_is_an_event_store_error() -> None:
    errors = [getattr(aio_eventstore, name) for name in aio_eventstore.__all__]
    errors = [e for e in errors if isinstance(e, type) and issubclass(e, BaseException)]
    assert len(errors) == 16
    assert all(issubclass(error, aio_eventstore.EventStoreError) for error in errors)
    assert issubclass(aio_eventstore.InvalidCommitError, ValueError)
    assert issubclass(aio_eventstore.CommitTooLargeError, aio_eventstore.InvalidCommitError)


def test_the_version_comes_from_the_package_metadata() -> None:
    assert aio_eventstore.__version__ == metadata.version("aio-eventstore")


def runtime_imports(module: str) -> set[str]:
    """The modules ``module`` imports when it runs (not those under ``TYPE_CHECKING``),
    followed through the package's own modules."""
    seen: set[str] = set()
    found: set[str] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        relative = name.removeprefix("aio_eventstore").lstrip(".").replace(".", "/")
        path = PACKAGE / f"{relative}.py"
        if not path.exists():
            path = PACKAGE / relative / "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only: TYPE_CHECKING blocks are ast.If
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative to the module's package
                    package = name.rsplit(".", node.level)[0]
                    base = f"{package}.{base}" if base else package
                found.add(base)
                if base.startswith("aio_eventstore"):
                    pending.append(base)
    return found


@pytest.mark.parametrize(
    "module",
    [
        "aio_eventstore._exceptions",
        "aio_eventstore._commit",
        "aio_eventstore._position",
        "aio_eventstore._events",
        "aio_eventstore._item",
    ],
)
def test_the_data_classes_import_nothing_of_the_aws_stack(module: str) -> None:
    imported = {name.partition(".")[0] for name in runtime_imports(module)}
    assert imported.isdisjoint({"aiohttp", "botocore", "aiobotocore", "boto3", "aioboto3"})
