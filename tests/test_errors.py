"""Every error of the AWS stack becomes a typed error of the store, by code, chained."""

from __future__ import annotations

import asyncio
import errno
import pickle
import socket
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiobotocore.session import AioSession
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from conftest import TEST_CREDENTIALS, TRANSPORTS
from servers import free_port

from aio_eventstore import (
    AccessDeniedError,
    Commit,
    CommitTooLargeError,
    EventStore,
    EventStoreError,
    SerializationError,
    TableNotFoundError,
    TableNotReadyError,
    ThrottledError,
    UnavailableError,
    VersionConflictError,
)
from aio_eventstore._transport import translate

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
        aiohttp.ClientOSError(errno.ECONNREFUSED, "Connect call failed"),
        asyncio.TimeoutError(),
        ConnectionResetError(),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        OSError(errno.ENETUNREACH, "Network is unreachable"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_network_failures_become_unavailable(exc: BaseException) -> None:
    assert type(translate(exc)) is UnavailableError


@pytest.mark.parametrize(
    "exc",
    [
        PermissionError(errno.EACCES, "Permission denied", "/home/me/.aws/credentials"),
        FileNotFoundError(errno.ENOENT, "No such file or directory", "/etc/ssl/ca.pem"),
        IsADirectoryError(errno.EISDIR, "Is a directory"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_a_local_os_error_is_not_unavailable(exc: OSError) -> None:
    error = translate(exc)
    assert type(error) is EventStoreError
    assert type(exc).__name__ in str(error)


@pytest.mark.parametrize(
    "exc",
    [
        NoCredentialsError(),
        SSOTokenLoadError(error_msg="Token for https://example.awsapps.com/start does not exist"),
        UnauthorizedSSOTokenError(),
        TokenRetrievalError(provider="sso", error_msg="the token has expired"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_missing_or_expired_credentials_become_access_denied(exc: Exception) -> None:
    assert type(translate(exc)) is AccessDeniedError


async def test_an_sso_profile_without_a_login_raises_access_denied(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, table_name: str
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile sso]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = Reader\n"
        "region = us-east-1\n"
    )
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(tmp_path))  # no SSO token cache
    store = EventStore(
        table_name,
        "index",
        session=AioSession(profile="sso"),
        endpoint_url=f"http://127.0.0.1:{free_port()}",
    )
    with pytest.raises(AccessDeniedError) as caught:
        async with store:
            await store.append("agg-A", 0, [1])
    assert "SSO" in str(caught.value) or "sso" in str(caught.value)


COMMIT = Commit("20240102030405678:agg-A", 1_704_164_645_678, "agg-A", 3, [{"n": True}])


@pytest.mark.parametrize(
    "error",
    [
        EventStoreError("plain", code="ValidationException", request_id="req-1"),
        VersionConflictError("agg-A", 3, COMMIT, request_id="req-2"),
        VersionConflictError("agg-B", 0),
        CommitTooLargeError(500_000, 409_600),
        SerializationError("not a commit", position="20240102030405678:agg-A/3"),
        TableNotReadyError("slow", table_status="UPDATING", index_status="CREATING"),
        ThrottledError("throttled", code="ThrottlingException"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_every_error_pickles_with_its_attributes(error: EventStoreError) -> None:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)


# What the store's error is chained to: the transport's own view of the failure.
UNREACHABLE_CAUSES = {"direct": aiohttp.ClientConnectorError, "botocore": EndpointConnectionError}


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_unreachable_endpoint_raises_unavailable_chained(
    table_name: str, transport: Any
) -> None:
    store = EventStore(
        table_name,
        "index",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(retries={"mode": "standard", "max_attempts": 2}),
        transport=transport,
        **TEST_CREDENTIALS,
    )
    async with store:
        started = time.monotonic()
        with pytest.raises(UnavailableError) as caught:
            await store.append("agg-A", 0, [1])
    assert time.monotonic() - started < 10
    assert isinstance(caught.value.__cause__, UNREACHABLE_CAUSES[transport])


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ProvisionedThroughputExceededException", 400, ThrottledError),
        ("InternalServerError", 500, UnavailableError),
        ("UnrecognizedClientException", 400, AccessDeniedError),
        ("ValidationException", 400, EventStoreError),
    ],
)
async def test_server_errors_reach_the_caller_typed(
    make_store: Any,
    proxy: FaultProxy,
    code: str,
    status: int,
    expected: type[EventStoreError],
) -> None:
    config = Config(retries={"mode": "standard", "max_attempts": 2})
    proxied = await make_store(endpoint_url=proxy.url, config=config)
    proxy.add("error", code=code, status=status)
    with pytest.raises(expected) as caught:
        await proxied.append("agg-A", 0, [1])
    assert type(caught.value) is expected
    assert caught.value.code == code
    assert caught.value.request_id == "injected"


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"),
        (403, b"<html>Forbidden</html>"),
        (502, b"<html>Bad Gateway</html>"),
        (503, b""),
    ],
    ids=["403-xml", "403-html", "502-html", "503-empty"],
)
async def test_answers_that_are_not_dynamodb_json_are_typed_by_status(
    make_store: Any, proxy: FaultProxy, status: int, body: bytes
) -> None:
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    proxied = await make_store(endpoint_url=proxy.url, config=config)
    proxy.add("error", status=status, body=body)
    expected = AccessDeniedError if status == 403 else UnavailableError
    with pytest.raises(expected):
        await proxied.latest("agg-A")
