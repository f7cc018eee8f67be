"""The request signer: byte for byte botocore's ``SigV4Auth``, or a refusal, never a third thing.

botocore is the reference. Its clock is frozen by replacing ``get_current_datetime`` in
``botocore.auth``, which ``SigV4Auth.add_auth`` calls for the time it signs (botocore 1.40.61,
the aioboto3 line, and 1.43 have the same ``SigV4Auth`` and the same hook).
"""

from __future__ import annotations

import ast
import asyncio
import json
import math
import random
import string
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import aiohttp
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials
from hypothesis import event, given, settings
from hypothesis import strategies as st

from aio_eventstore._transport import _sigv4
from aio_eventstore._transport._sigv4 import CONTENT_TYPE, Signer, derive_signing_key, host_header

if TYPE_CHECKING:
    from collections.abc import Iterator

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DAY_US = 86_400_000_000
TARGETS = [
    f"DynamoDB_20120810.{operation}"
    for operation in (
        "PutItem",
        "GetItem",
        "Query",
        "UpdateItem",
        "DeleteItem",
        "TransactWriteItems",
    )
]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]
ENDPOINTS = [
    "https://dynamodb.{region}.amazonaws.com",
    "https://dynamodb.{region}.amazonaws.com:443",  # the default port: not in the Host
    "https://dynamodb.{region}.amazonaws.com:8443",
    "http://127.0.0.1:8000",
    "http://localhost:4566",
    "http://LocalHost:4566",  # botocore signs the host in lower case
    "http://localhost:80",
    "http://user:pw@localhost:4566",  # userinfo is no part of the Host
    "http://[::1]:8000",
    "http://dynamodb_local:8000",
]
KEY_ALPHABET = string.ascii_uppercase + string.digits
BASE64_ALPHABET = string.ascii_letters + string.digits + "+/"
TEXT_ALPHABET = 'az AZ09"\\/\n\t\x00é€中😀\u2028'
CREDENTIALS = ReadOnlyCredentials(
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2Vj+/=" * 40
)


def instant(us: int) -> datetime:
    """A time given in microseconds since the epoch, exactly, as botocore's clock gives it."""
    return EPOCH + timedelta(microseconds=us)


def botocore_signed(
    credentials: ReadOnlyCredentials,
    *,
    url: str,
    target: str,
    body: bytes,
    region: str,
    at: datetime,
    host: str | None = None,
    service: str = "dynamodb",
) -> dict[str, str]:
    """The headers botocore's SigV4Auth signs at ``at``, with a Host header if ``host`` is set."""
    headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": target}
    if host is not None:
        headers["Host"] = host
    request = AWSRequest("POST", url, headers=headers, data=body)
    aware = at.astimezone(timezone.utc)

    def frozen(remove_tzinfo: bool = True) -> datetime:  # as botocore.compat's, but frozen
        return aware.replace(tzinfo=None) if remove_tzinfo else aware

    with mock.patch.object(botocore.auth, "get_current_datetime", frozen):
        SigV4Auth(credentials, service, region).add_auth(request)
    return dict(request.headers.items())


def without_host(headers: dict[str, str]) -> dict[str, str]:
    # The signature covers the Host, so equal Authorization headers mean equal Hosts signed.
    return {name: value for name, value in headers.items() if name != "Host"}


def random_token(rng: random.Random) -> str:
    raw = "".join(rng.choices(BASE64_ALPHABET, k=rng.randrange(100, 1200)))
    return raw + "=" * rng.randrange(3)


def random_credentials(rng: random.Random) -> ReadOnlyCredentials:
    token = rng.choice([None, "", random_token(rng)])
    prefix = "AKIA" if token is None else "ASIA"
    access_key = prefix + "".join(rng.choices(KEY_ALPHABET, k=16))
    return ReadOnlyCredentials(access_key, random_secret(rng), token)


def random_secret(rng: random.Random) -> str:
    if rng.random() < 0.05:  # botocore encodes the secret as UTF-8; so must the signer
        return "".join(rng.choices(TEXT_ALPHABET, k=20))
    return "".join(rng.choices(BASE64_ALPHABET, k=40))


def random_body(rng: random.Random) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:
        return b""
    if kind == 1:  # the signer hashes bytes, whatever they are
        return rng.randbytes(rng.randrange(1, 400))
    text = "".join(rng.choices(TEXT_ALPHABET, k=rng.randrange(0, 300)))
    request = {
        "TableName": "events",
        "Item": {
            "aggregateId": {"S": text[:40]},
            "version": {"N": str(rng.randrange(10**6))},
            "events": {"S": json.dumps([{"text": text}], ensure_ascii=False)},
        },
    }
    return json.dumps(request, ensure_ascii=rng.random() < 0.2).encode()


def random_path(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return "/"
    segments = ["".join(rng.choices(string.ascii_letters + "._~-", k=rng.randrange(3, 8)))]
    segments += [rng.choice(["tables", "v1", "a.b", "..."]) for _ in range(rng.randrange(2))]
    return "/" + "/".join(segments) + rng.choice(["", "/"])


def times_across_midnights(rng: random.Random, count: int) -> Iterator[int]:
    """Microseconds since the epoch: forward in small steps, onto and over midnights, and back."""
    us = rng.randrange(10_957, 47_482) * DAY_US - 2_000_000  # 2000 to 2099, just before midnight
    for _ in range(count):
        midnight = (us // DAY_US + 1) * DAY_US
        roll = rng.random()
        if roll < 0.15:
            us = midnight - rng.choice([1_000, 1, 0])  # 23:59:59.999, 23:59:59.999999, 00:00
        elif roll < 0.20:  # a clock stepped back, maybe over midnight
            us -= rng.randrange(3_000_000)
        elif roll < 0.23:
            us += rng.randrange(1, 40) * DAY_US
        else:
            us += rng.randrange(300_000)
        yield us


def test_signs_as_botocore_over_a_sequence_of_requests_across_days() -> None:
    rng = random.Random(20261129)
    signers: dict[str, Signer] = {}  # one per region, reused for the whole sequence
    pool = [random_credentials(rng) for _ in range(4)]
    days_seen: set[int] = set()
    count = 1_500
    for index, us in enumerate(times_across_midnights(rng, count)):
        if rng.random() < 0.03:  # a refresh: the same access key with a new secret
            slot = rng.randrange(len(pool))
            pool[slot] = pool[slot]._replace(secret_key=random_secret(rng))
        credentials = rng.choice(pool)
        region = rng.choice(REGIONS)
        signer = signers.setdefault(region, Signer(region))
        path = random_path(rng)
        url = rng.choice(ENDPOINTS).format(region=region) + path
        host = host_header(url)
        target = rng.choice(TARGETS)
        body = random_body(rng)
        # Half the time botocore is told the Host as a header, else derives it from the URL.
        explicit_host = host if rng.random() < 0.5 else None
        days_seen.add(us // DAY_US)

        mine = signer.sign(
            credentials, host=host, target=target, body=body, now=us / 1e6, path=path
        )
        expected = botocore_signed(
            credentials,
            url=url,
            target=target,
            body=body,
            region=region,
            at=instant(us),
            host=explicit_host,
        )
        if explicit_host is None:
            mine = without_host(mine)
        assert mine == expected, f"request {index} at {instant(us)} to {url}"
    assert len(days_seen) > 50  # the sequence did cross days, each signer many times


PLAIN_ASCII = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
ACCEPTED_HOSTS = st.builds(
    lambda name, port: name if port is None else f"{name}:{port}",
    st.text(string.ascii_lowercase + string.digits + "._-", min_size=1, max_size=20)
    | st.sampled_from(["[::1]", "[2001:db8::1]", "[::ffff:127.0.0.1]", "[fe80::a:b:c:d]"]),
    st.none() | st.integers(0, 65535),
)
ACCEPTED_PATHS = st.builds(
    lambda segments, trailing: "/" + "/".join(segments) + ("/" if segments and trailing else ""),
    st.lists(
        st.text(string.ascii_letters + string.digits + "._~-", min_size=1, max_size=6).filter(
            lambda segment: segment not in {".", ".."}
        ),
        max_size=4,
    ),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    access_key=st.text(max_size=24),
    secret=st.text(max_size=48),
    token=st.none() | st.text(PLAIN_ASCII, max_size=200),
    region=st.sampled_from(REGIONS)
    | st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=16),
    host=ACCEPTED_HOSTS,
    path=ACCEPTED_PATHS,
    target=st.sampled_from(TARGETS) | st.text(PLAIN_ASCII, min_size=1, max_size=40),
    body=st.binary(max_size=300) | st.text(max_size=100).map(str.encode),
    us=st.integers(min_value=0, max_value=130 * 365 * DAY_US),  # up to 2099
)
def test_signs_every_accepted_request_as_botocore_does(
    access_key: str,
    secret: str,
    token: str | None,
    region: str,
    host: str,
    path: str,
    target: str,
    body: bytes,
    us: int,
) -> None:
    credentials = ReadOnlyCredentials(access_key, secret, token)
    mine = Signer(region).sign(
        credentials, host=host, target=target, body=body, now=us / 1e6, path=path
    )
    expected = botocore_signed(
        credentials,
        url=f"http://placeholder.invalid{path}",
        target=target,
        body=body,
        region=region,
        at=instant(us),
        host=host,
    )
    assert mine == expected


@settings(max_examples=200, deadline=None)
@given(
    host=ACCEPTED_HOSTS | st.text("aZ09. :%@[]", max_size=12) | st.text(),
    target=st.sampled_from(TARGETS) | st.text(st.characters(codec="ascii")) | st.text(),
    token=st.none() | st.text(PLAIN_ASCII) | st.text(" \t\n\x0b\u3000éa="),
    path=ACCEPTED_PATHS | st.text("/.a~%é ?#;", max_size=8),
)
def test_signs_as_botocore_or_refuses(host: str, target: str, token: str | None, path: str) -> None:
    credentials = CREDENTIALS._replace(token=token)
    try:
        mine = Signer("eu-west-1").sign(
            credentials, host=host, target=target, body=b"{}", now=1e9, path=path
        )
    except ValueError:
        event("refused")
        return
    event("signed")
    expected = botocore_signed(
        credentials,
        url=f"http://placeholder.invalid{path}",
        target=target,
        body=b"{}",
        region="eu-west-1",
        at=instant(10**15),
        host=host,
    )
    assert mine == expected


@pytest.mark.parametrize("endpoint", [*ENDPOINTS, "https://[2001:DB8::1]", "http://h:08000/x"])
def test_host_header_is_the_host_botocore_signs_for_the_url(endpoint: str) -> None:
    url = endpoint.format(region="eu-west-1")
    botocore_host = SigV4Auth(CREDENTIALS, "dynamodb", "eu-west-1").headers_to_sign(
        AWSRequest("POST", url)
    )["host"]
    assert host_header(url) == botocore_host


@pytest.mark.parametrize(
    "url",
    [
        "ftp://localhost/",
        "localhost:8000",
        "http:///",
        "http://dynamodb.bücher.example/",  # aiohttp would send the IDNA form
        "http://[fe80::1%25eth0]:8000/",
        "http://local%68ost/",
    ],
)
def test_host_header_refuses_what_sign_could_not_sign(url: str) -> None:
    with pytest.raises(ValueError, match=r"URL|Host"):
        host_header(url)


@pytest.mark.parametrize(
    "host",
    [
        "",
        "Localhost",
        "localhost ",
        "local host",
        "localhost:080",
        "localhost:65536",
        "localhost:",
        "[::g]:8000",
        "::1",
        "bücher.example",
        "user@localhost",
    ],
)
def test_refuses_a_host_not_in_host_header_form(host: str) -> None:
    with pytest.raises(ValueError, match="Host"):
        Signer("eu-west-1").sign(CREDENTIALS, host=host, target=TARGETS[0], body=b"", now=0)


@pytest.mark.parametrize(
    "path", ["", "a", "//", "/a//b", "/./a", "/a/..", "/a b", "/%41", "/é", "/?x=1", "/#"]
)
def test_refuses_a_path_botocore_would_sign_rewritten(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        Signer("eu-west-1").sign(
            CREDENTIALS, host="localhost", target=TARGETS[0], body=b"", now=0, path=path
        )


@pytest.mark.parametrize("target", ["", " DynamoDB_20120810.Query", "a  b", "a\tb", "Quéry"])
def test_refuses_a_target_botocore_would_sign_folded(target: str) -> None:
    with pytest.raises(ValueError, match="X-Amz-Target"):
        Signer("eu-west-1").sign(CREDENTIALS, host="localhost", target=target, body=b"", now=0)


@pytest.mark.parametrize("token", ["abc ", "a\nb", "tökén"])
def test_refuses_a_session_token_botocore_would_sign_folded(token: str) -> None:
    credentials = CREDENTIALS._replace(token=token)
    with pytest.raises(ValueError, match="session token"):
        Signer("eu-west-1").sign(credentials, host="localhost", target=TARGETS[0], body=b"", now=0)


@pytest.mark.parametrize("now", [-0.5, -1, math.nan, math.inf, 253_402_300_800])
def test_refuses_a_time_outside_1970_to_9999(now: float) -> None:
    with pytest.raises(ValueError, match="time"):
        Signer("eu-west-1").sign(
            CREDENTIALS, host="localhost", target=TARGETS[0], body=b"", now=now
        )


def test_the_last_second_of_9999_is_signed_as_botocore_does() -> None:
    at = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone.utc)
    mine = Signer("eu-west-1").sign(
        CREDENTIALS, host="localhost", target=TARGETS[0], body=b"{}", now=253_402_300_799.5
    )
    expected = botocore_signed(
        CREDENTIALS,
        url="http://localhost/",
        target=TARGETS[0],
        body=b"{}",
        region="eu-west-1",
        at=at,
    )
    assert without_host(mine) == expected


@pytest.mark.parametrize("missing", ["access_key", "secret_key"])
def test_refuses_credentials_without_a_key(missing: str) -> None:
    credentials = CREDENTIALS._replace(**{missing: None})
    with pytest.raises(ValueError, match="credentials"):
        Signer("eu-west-1").sign(credentials, host="localhost", target=TARGETS[0], body=b"", now=0)


@pytest.mark.parametrize(
    ("region", "service"),
    [
        ("EU-WEST-1", "dynamodb"),
        ("eu-west-1", "dynamo db"),
        ("", "dynamodb"),
        ("eu/west", "dynamodb"),
    ],
)
def test_refuses_a_region_or_service_that_is_no_scope_part(region: str, service: str) -> None:
    with pytest.raises(ValueError, match=r"region|service"):
        Signer(region, service)


def test_an_empty_session_token_is_no_token_as_for_botocore() -> None:
    credentials = CREDENTIALS._replace(token="")
    mine = Signer("eu-west-1").sign(
        credentials, host="localhost:4566", target=TARGETS[0], body=b"{}", now=1_704_164_645.678
    )
    assert "X-Amz-Security-Token" not in mine
    assert "x-amz-security-token" not in mine["Authorization"]
    expected = botocore_signed(
        credentials,
        url="http://localhost:4566/",
        target=TARGETS[0],
        body=b"{}",
        region="eu-west-1",
        at=instant(1_704_164_645_678_000),
    )
    assert without_host(mine) == expected


def test_another_service_is_signed_as_botocore_does() -> None:
    mine = Signer("eu-west-1", "execute-api").sign(
        CREDENTIALS, host="localhost", target=TARGETS[0], body=b"{}", now=1
    )
    expected = botocore_signed(
        CREDENTIALS,
        url="http://localhost/",
        target=TARGETS[0],
        body=b"{}",
        region="eu-west-1",
        at=instant(1_000_000),
        service="execute-api",
    )
    assert without_host(mine) == expected


def test_botocore_is_compared_at_the_frozen_time() -> None:
    at = instant(1_704_239_999_999_000)  # 2024-01-02T23:59:59.999Z
    signed = botocore_signed(
        CREDENTIALS, url="http://localhost/", target=TARGETS[0], body=b"", region="eu-west-1", at=at
    )
    assert signed["X-Amz-Date"] == "20240102T235959Z"


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The (secret key, date stamp) of every signing key derived while the test runs."""
    calls: list[tuple[str, str]] = []

    def counting(secret_key: str, date_stamp: str, region: str, service: str) -> bytes:
        calls.append((secret_key, date_stamp))
        return derive_signing_key(secret_key, date_stamp, region, service)

    monkeypatch.setattr(_sigv4, "derive_signing_key", counting)
    return calls


def test_the_signing_key_is_derived_once_a_day(derivations: list[tuple[str, str]]) -> None:
    signer = Signer("eu-west-1")
    day_start = 1_704_153_600  # 2024-01-02T00:00:00Z
    for second in range(day_start, day_start + 86_400, 97):
        signer.sign(CREDENTIALS, host="localhost", target=TARGETS[0], body=b"{}", now=second + 0.5)
    assert derivations == [("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20240102")]


def test_the_signing_key_is_renewed_at_midnight(derivations: list[tuple[str, str]]) -> None:
    signer = Signer("eu-west-1")
    secret = CREDENTIALS.secret_key
    for now in (1_704_239_999.0, 1_704_239_999.999, 1_704_240_000.0, 1_704_240_000.5):
        headers = signer.sign(CREDENTIALS, host="localhost", target=TARGETS[0], body=b"", now=now)
        at = EPOCH + timedelta(seconds=now)
        expected = botocore_signed(
            CREDENTIALS,
            url="http://localhost/",
            target=TARGETS[0],
            body=b"",
            region="eu-west-1",
            at=at,
        )
        assert without_host(headers) == expected
    assert derivations == [(secret, "20240102"), (secret, "20240103")]


def test_the_signing_key_is_renewed_when_the_secret_rotates(
    derivations: list[tuple[str, str]],
) -> None:
    signer = Signer("eu-west-1")
    rotated = CREDENTIALS._replace(secret_key="rotated/secret+key")  # noqa: S106 (test data)
    now = 1_704_164_645.678
    for credentials in (CREDENTIALS, CREDENTIALS, rotated, rotated):
        headers = signer.sign(credentials, host="localhost", target=TARGETS[0], body=b"", now=now)
        expected = botocore_signed(
            credentials,
            url="http://localhost/",
            target=TARGETS[0],
            body=b"",
            region="eu-west-1",
            at=instant(1_704_164_645_678_000),
        )
        assert without_host(headers) == expected
    assert [secret for secret, _ in derivations] == [CREDENTIALS.secret_key, "rotated/secret+key"]


def test_derives_the_signing_key_of_the_aws_documentation() -> None:
    # "Derive a signing key for SigV4", AWS General Reference: its example key and result.
    key = derive_signing_key(
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam"
    )
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_sign_returns_a_new_dictionary_each_time() -> None:
    signer = Signer("eu-west-1")
    first = signer.sign(CREDENTIALS, host="localhost", target=TARGETS[0], body=b"", now=0)
    first["Accept-Encoding"] = "identity"
    second = signer.sign(CREDENTIALS, host="localhost", target=TARGETS[0], body=b"", now=0)
    assert "Accept-Encoding" not in second
    assert second["Host"] == "localhost"
    assert second["Content-Type"] == CONTENT_TYPE


async def test_aiohttp_sends_the_host_and_headers_that_were_signed() -> None:
    received: list[tuple[bytes, bytes]] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        received.append((head, await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/"
        body = json.dumps({"TableName": "events", "Key": {"aggregateId": {"S": "é"}}}).encode()
        signed = Signer("eu-west-1").sign(
            CREDENTIALS, host=host_header(url), target=TARGETS[1], body=body, now=time.time()
        )
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=signed) as response,
        ):
            assert response.status == 200

    [(head, sent_body)] = received
    request_line, *header_lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    sent = [(name, value) for name, _, value in (line.partition(": ") for line in header_lines)]
    assert request_line == "POST / HTTP/1.1"
    assert sent_body == body
    assert [value for name, value in sent if name.lower() == "host"] == [f"127.0.0.1:{port}"]
    for name, value in signed.items():
        assert [v for n, v in sent if n.lower() == name.lower()] == [value]
    # What a server checks: botocore's signature of what arrived, at its X-Amz-Date.
    arrived = dict(sent)
    at = datetime.strptime(arrived["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert (
        botocore_signed(
            CREDENTIALS,
            url=url,
            target=arrived["X-Amz-Target"],
            body=sent_body,
            region="eu-west-1",
            at=at,
            host=arrived["Host"],
        )["Authorization"]
        == arrived["Authorization"]
    )


def test_the_signer_needs_only_the_standard_library() -> None:
    tree = ast.parse(Path(_sigv4.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
    }
    assert imported - {"__future__"} <= sys.stdlib_module_names
