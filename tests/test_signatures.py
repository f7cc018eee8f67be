"""Signed for real: moto's server checking every request's SigV4 signature against IAM.

moto rebuilds each signature with botocore's own ``SigV4Auth`` once its IAM check is on
(``POST /moto-api/reset-auth``), and refuses a wrong one with HTTP 403 and an XML body,
where DynamoDB answers 400 in JSON: the store must call both ``AccessDeniedError``. Its
own server, so that turning the check on touches no other test.
"""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest
from aiobotocore.session import get_session
from conftest import new_table_name
from faultproxy import FaultProxy
from servers import MotoServer

from aio_eventstore import AccessDeniedError, EventStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

REGION = "us-east-1"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def iam_moto(moto: MotoServer) -> tuple[str, dict[str, Any]]:
    """A moto server checking signatures, and the keys of a user allowed DynamoDB."""
    async with get_session().create_client(
        "iam",
        endpoint_url=moto.endpoint_url,
        region_name=REGION,
        aws_access_key_id="admin",
        aws_secret_access_key="admin",  # noqa: S106 - before the check is on
    ) as iam:
        await iam.create_user(UserName="writer")
        await iam.put_user_policy(
            UserName="writer", PolicyName="dynamodb", PolicyDocument=json.dumps(POLICY)
        )
        key = (await iam.create_access_key(UserName="writer"))["AccessKey"]
    request = urllib.request.Request(  # noqa: S310 - a local http URL
        f"{moto.endpoint_url}/moto-api/reset-auth",
        data=b"0",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:  # noqa: S310, ASYNC210 - local, once
        assert answer.status == 200
    credentials = {
        "aws_access_key_id": key["AccessKeyId"],
        "aws_secret_access_key": key["SecretAccessKey"],
    }
    return moto.endpoint_url, credentials


@pytest.fixture
async def proxy(iam_moto: tuple[str, dict[str, Any]]) -> AsyncIterator[FaultProxy]:
    async with FaultProxy(iam_moto[0]) as proxy:
        yield proxy


async def test_a_store_with_the_right_key_works_end_to_end(
    iam_moto: tuple[str, dict[str, Any]],
) -> None:
    endpoint_url, credentials = iam_moto
    async with EventStore(
        new_table_name(), "index", endpoint_url=endpoint_url, region_name=REGION, **credentials
    ) as store:
        await store.create_table()
        written = [
            await store.append(f"agg-{n % 2}", n // 2, [{"n": n, "ü": "é"}]) for n in range(6)
        ]
        assert await store.query("agg-0") == written[0::2]
        assert await store.latest("agg-1") == written[-1]
        assert [c async for c in store.scan(page_size=2)] == written
        checkpoint = store.checkpoint("projector")
        assert await checkpoint.save(written[2].position)
        assert await checkpoint.load() == written[2].position
        await checkpoint.delete()
        await store.delete_table()


@pytest.mark.parametrize("wrong", ["secret", "key"])
async def test_a_wrong_key_is_access_denied_after_one_request(
    iam_moto: tuple[str, dict[str, Any]], proxy: FaultProxy, wrong: str
) -> None:
    _, credentials = iam_moto
    arguments: dict[str, Any] = dict(credentials)
    if wrong == "secret":
        arguments["aws_secret_access_key"] = "not-" + credentials["aws_secret_access_key"]
    else:
        arguments["aws_access_key_id"] = "AKIANOSUCHKEY0000000"
    async with EventStore(
        new_table_name(), "index", endpoint_url=proxy.url, region_name=REGION, **arguments
    ) as store:
        with pytest.raises(AccessDeniedError) as caught:
            await store.append("agg-A", 0, [1])
    assert proxy.requests["PutItem"] == 1
    assert caught.value.code in {"SignatureDoesNotMatch", "InvalidClientTokenId"}
