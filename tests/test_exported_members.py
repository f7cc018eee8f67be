"""The public face: what ``aio_eventstore`` exports, and nothing by accident."""

from __future__ import annotations

import aio_eventstore


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
    assert len(errors) == 13
    assert all(issubclass(error, aio_eventstore.EventStoreError) for error in errors)
    assert issubclass(aio_eventstore.InvalidCommitError, ValueError)
    assert issubclass(aio_eventstore.CommitTooLargeError, aio_eventstore.InvalidCommitError)


def test_the_version_comes_from_the_package_metadata() -> None:
    assert aio_eventstore.__version__ == "0.1.0"
