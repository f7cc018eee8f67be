"""Connecting: the aiobotocore client for tables, and the transport for reads and writes.

The store opens one aiobotocore DynamoDB client from the session it is given (or a new one).
Tables (CreateTable, DescribeTable, DeleteTable) always go through it. Reads and writes go
through a transport (``_transport``): by default the direct one, which takes from this client
what botocore resolved (endpoint, region, config) and from the session its credentials and
CA bundle, then sends on its own; or the client itself (``transport="botocore"``, a given
client, or a setting the direct transport cannot honour).

botocore's own defaults for DynamoDB (legacy retries, 10 attempts, 60 s connect and read
timeouts) can hold one call for minutes. The store's defaults answer in seconds:

========================  ==============  ================================================
setting                   default         why
========================  ==============  ================================================
retries                   standard, 4     4 attempts in all; jittered backoff of up to
                                          1, 2 and 4 s absorbs a throttling burst
connect_timeout           2 s             a healthy endpoint connects in milliseconds
read_timeout              5 s             a 1 MB Query page answers well within it
max_pool_connections      64              64 requests in flight without queueing
parameter_validation      off             the store validates its own requests
user_agent                fixed string    botocore rebuilds its own twice a request, at
                                          about 70 µs each
========================  ==============  ================================================

Worst cases with these: persistent throttling or server errors end in ``ThrottledError`` or
``UnavailableError`` after at most 7 s of backoff (3.5 s on average) plus four requests; an
endpoint that accepts connections but never answers, after 4 x 5 s. Access denied is not
retried. A ``config=`` passed to the store is merged over these defaults: its values win.
Both transports read the same merged config.
"""

from __future__ import annotations

import logging
import os
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal

import aiobotocore
from aiobotocore.config import AioConfig
from aiobotocore.credentials import AioCredentials
from aiobotocore.session import AioSession, get_session

from ._transport import BotocoreTransport, DirectTransport, Transport, Unsupported

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from botocore.config import Config
    from types_aiobotocore_dynamodb import DynamoDBClient

__all__ = ["DEFAULT_CONFIG", "TRANSPORTS", "TransportName", "connect"]

logger = logging.getLogger("aio_eventstore")

TransportName = Literal["direct", "botocore"]
TRANSPORTS: tuple[TransportName, ...] = ("direct", "botocore")


def _user_agent() -> str:
    try:
        version = metadata.version("aio-eventstore")
    except metadata.PackageNotFoundError:  # running from a source tree
        version = "0"
    return f"aio-eventstore/{version} aiobotocore/{aiobotocore.__version__}"


USER_AGENT = _user_agent()

DEFAULT_CONFIG = AioConfig(
    retries={"mode": "standard", "total_max_attempts": 4},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=64,
    parameter_validation=False,
    user_agent=USER_AGENT,
)


async def connect(
    stack: AsyncExitStack,
    session: Any,  # noqa: ANN401 - an AioSession or an aioboto3.Session, duck-typed
    config: Config | None,
    transport: TransportName,
    **client_args: str | None,
) -> tuple[DynamoDBClient, Transport]:
    """Open a DynamoDB client and a transport beside it; ``stack`` closes both."""
    # AioConfig.merge reads only the options every botocore Config has.
    merged = DEFAULT_CONFIG if config is None else DEFAULT_CONFIG.merge(config)  # type: ignore[arg-type]
    arguments = {name: value for name, value in client_args.items() if value is not None}
    if session is None:
        session = get_session()
    if isinstance(session, AioSession) or hasattr(session, "create_client"):
        context = session.create_client("dynamodb", config=merged, **arguments)
    else:  # an aioboto3.Session
        context = session.client("dynamodb", config=merged, **arguments)
    client: DynamoDBClient = await stack.enter_async_context(context)
    if transport == "botocore":
        return client, BotocoreTransport(client)
    try:
        direct = await _direct(client, _botocore_session(session), arguments)
    except Unsupported as reason:
        logger.info("the store sends through botocore: %s", reason)
        return client, BotocoreTransport(client)
    stack.push_async_callback(direct.close)
    return client, direct


async def _direct(
    client: DynamoDBClient, session: AioSession, arguments: dict[str, str]
) -> DirectTransport:
    """The direct transport to where ``client`` sends, with what ``session`` resolves."""
    if "aws_access_key_id" in arguments and "aws_secret_access_key" in arguments:
        # As botocore takes them: both keys given win over the session's chain.
        credentials: AioCredentials | None = AioCredentials(
            arguments["aws_access_key_id"],
            arguments["aws_secret_access_key"],
            arguments.get("aws_session_token"),
        )
    else:
        credentials = await session.get_credentials()
    # As botocore's endpoint takes it: the session's ca_bundle (AWS_CA_BUNDLE, the profile),
    # else REQUESTS_CA_BUNDLE, else its default bundle.
    verify: bool | str | None = session.get_config_variable("ca_bundle") or os.environ.get(
        "REQUESTS_CA_BUNDLE"
    )
    return await DirectTransport.open(
        endpoint_url=client.meta.endpoint_url,
        region=client.meta.region_name,
        credentials=credentials,
        config=client.meta.config,
        verify=verify,
        user_agent=USER_AGENT,
    )


def _botocore_session(session: Any) -> AioSession:  # noqa: ANN401 - duck-typed, as above
    """The aiobotocore session behind ``session``."""
    if isinstance(session, AioSession):
        return session
    # aioboto3.Session, like boto3.Session, keeps the botocore session it wraps there.
    inner: AioSession = session._session  # noqa: SLF001
    return inner
