"""Opening the aiobotocore DynamoDB client, with defaults fit for a web service.

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
retried. A ``config=`` passed to the store is merged over these
defaults: its values win.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

import aiobotocore
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session

if TYPE_CHECKING:
    from contextlib import AsyncExitStack

    from botocore.config import Config
    from types_aiobotocore_dynamodb import DynamoDBClient

__all__ = ["DEFAULT_CONFIG", "open_client"]


def _user_agent() -> str:
    try:
        version = metadata.version("aio-eventstore")
    except metadata.PackageNotFoundError:  # running from a source tree
        version = "0"
    return f"aio-eventstore/{version} aiobotocore/{aiobotocore.__version__}"


DEFAULT_CONFIG = AioConfig(
    retries={"mode": "standard", "total_max_attempts": 4},
    connect_timeout=2,
    read_timeout=5,
    max_pool_connections=64,
    parameter_validation=False,
    user_agent=_user_agent(),
)


async def open_client(
    stack: AsyncExitStack,
    session: Any,  # noqa: ANN401 - an AioSession or an aioboto3.Session, duck-typed
    config: Config | None,
    **client_args: str | None,
) -> DynamoDBClient:
    """Open a DynamoDB client from an aiobotocore or aioboto3 session; ``stack`` closes it."""
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
    return client
