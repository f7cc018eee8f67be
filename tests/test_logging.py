"""The library's log records: silent by default, and never a secret, token or payload."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from aio_eventstore import VersionConflictError

if TYPE_CHECKING:
    from conftest import Backend
    from faultproxy import FaultProxy

SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRETKEY"  # noqa: S105 - a fake, to look for
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"  # noqa: S105
PAYLOAD = "4111-1111-1111-1111 card number in an event"


def test_the_library_logger_is_silent_by_default() -> None:
    logger = logging.getLogger("aio_eventstore")
    assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)


async def test_debug_records_hold_no_secret_token_or_payload(
    backend: Backend, table_name: str, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    options: dict[str, Any] = {
        "aws_access_key_id": "AKIAEXAMPLEKEYID",
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
    }
    store = backend.store(table_name, proxy.url, **options)
    async with store:
        await store.create_table()
        await store.append("agg-A", 0, [{"secret": PAYLOAD}])
        with pytest.raises(VersionConflictError):
            await store.append("agg-A", 0, [{"secret": PAYLOAD}])
        proxy.add("error", operation="Query", times=1)  # a retried throttle, logged
        assert len(await store.query("agg-A")) == 1
        assert [c.version async for c in store.scan()] == [0]
        async for _ in store.subscribe(settle=0, poll_interval=0.01):
            break
        await store.delete_table()

    ours = [r for r in caplog.records if r.name.startswith("aio_eventstore")]
    assert ours, "the run must have produced records of the library's own"
    everything = "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}"
        for r in caplog.records
        if r.name.startswith("aio_eventstore")
    )
    for forbidden in (SECRET, TOKEN, PAYLOAD, "4111"):
        assert forbidden not in everything


async def test_a_slow_append_is_logged_for_subscribers_settle(
    make_store: Any, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
) -> None:
    proxied = await make_store(endpoint_url=proxy.url)
    proxy.add("delay", operation="PutItem", seconds=1.2)
    with caplog.at_level(logging.WARNING, logger="aio_eventstore"):
        await proxied.append("agg-A", 0, [1])
    [record] = [r for r in caplog.records if r.name == "aio_eventstore"]
    assert "settle" in record.getMessage()
