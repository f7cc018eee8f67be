"""Every error of the AWS stack becomes a typed error of the store, by code, chained."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from conftest import TEST_CREDENTIALS, Backend
from servers import free_port

from aio_eventstore import (
    AccessDeniedError,
    EventStore,
    EventStoreError,
    TableNotFoundError,
    ThrottledError,
    UnavailableError,
)
from aio_eventstore._exceptions import translate

if TYPE_CHECKING:
    from faultproxy import FaultProxy


def client_error(code: str, status: int = 400, message: str = "text") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": status},
    }
    return ClientError(response, "PutItem")


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ResourceNotFoundException", 400, TableNotFoundError),
        ("ProvisionedThroughputExceededException", 400, ThrottledError),
        ("ThrottlingException", 400, ThrottledError),
        ("RequestLimitExceeded", 400, ThrottledError),
        ("InternalServerError", 500, UnavailableError),
        ("ServiceUnavailable", 503, UnavailableError),
        ("SomethingNew", 502, UnavailableError),
        ("UnrecognizedClientException", 400, AccessDeniedError),
        ("AccessDeniedException", 400, AccessDeniedError),
        ("InvalidSignatureException", 400, AccessDeniedError),
        ("ExpiredTokenException", 400, AccessDeniedError),
    ],
)
def test_client_errors_are_translated_by_code(
    code: str, status: int, expected: type[EventStoreError]
) -> None:
    error = translate(client_error(code, status))
    assert type(error) is expected
    assert error.code == code
    assert error.request_id == "req-1"


def test_an_unknown_code_becomes_a_plain_event_store_error_with_the_code() -> None:
    error = translate(client_error("ValidationException"))
    assert type(error) is EventStoreError
    assert error.code == "ValidationException"


def test_the_message_text_does_not_decide_the_class() -> None:
    error = translate(client_error("ValidationException", message="ResourceNotFoundException"))
    assert type(error) is EventStoreError


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        aiohttp.ServerDisconnectedError(),
        asyncio.TimeoutError(),
        ConnectionResetError(),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_network_failures_become_unavailable(exc: BaseException) -> None:
    assert type(translate(exc)) is UnavailableError


def test_missing_credentials_become_access_denied() -> None:
    assert type(translate(NoCredentialsError())) is AccessDeniedError


async def test_an_unreachable_endpoint_raises_unavailable_chained(table_name: str) -> None:
    store = EventStore(
        table_name,
        "index",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(retries={"mode": "standard", "max_attempts": 2}),
        **TEST_CREDENTIALS,
    )
    async with store:
        started = time.monotonic()
        with pytest.raises(UnavailableError) as caught:
            await store.append("agg-A", 0, [1])
    assert time.monotonic() - started < 10
    assert isinstance(caught.value.__cause__, EndpointConnectionError)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ProvisionedThroughputExceededException", 400, ThrottledError),
        ("InternalServerError", 500, UnavailableError),
        ("UnrecognizedClientException", 400, AccessDeniedError),
    ],
)
async def test_server_errors_reach_the_caller_typed(
    store: EventStore,
    proxy: FaultProxy,
    backend: Backend,
    code: str,
    status: int,
    expected: type[EventStoreError],
) -> None:
    proxied = backend.store(
        store.table_name,
        proxy.url,
        config=Config(retries={"mode": "standard", "max_attempts": 2}),
    )
    proxy.add("error", code=code, status=status)
    async with proxied:
        with pytest.raises(expected) as caught:
            await proxied.append("agg-A", 0, [1])
    assert caught.value.code == code
    assert isinstance(caught.value.__cause__, ClientError)
