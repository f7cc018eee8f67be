"""Reading Query answers straight from the response body, without botocore's parser.

botocore parses a response by walking its shape model, at 20 to 40 µs of CPU per item of a
Query: most of a reader's client cost. A commit's item has a fixed shape of strings and
numbers, which ``json.loads`` decodes in a fraction of that time, into the very same
``{"S": ...}`` / ``{"N": ...}`` form botocore would have produced.

So, for the store's own Query calls only, a ``before-parse`` handler takes the successful
response's body and hands the parser an empty object instead; the body comes back as
``RawBody`` in the parsed response. Errors are parsed as usual. The handler is inert outside
the store's calls (a context variable marks them), so a client shared with the application
behaves exactly as before.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

__all__ = ["keep_raw_bodies", "query"]

_EVENT = "before-parse.dynamodb.Query"
_HANDLER_ID = "aio_eventstore.keep-raw-query-body"
_RAW_BODY = "RawBody"
_wanted: ContextVar[bool] = ContextVar("aio_eventstore_raw_body", default=False)


def keep_raw_bodies(client: DynamoDBClient) -> None:
    """Prepare ``client`` for :func:`query`; registering twice changes nothing."""
    client.meta.events.register(_EVENT, _keep_body, unique_id=_HANDLER_ID)


async def query(client: DynamoDBClient, request: dict[str, Any]) -> dict[str, Any]:
    """The decoded JSON answer of a Query (``Items``, ``LastEvaluatedKey``, ...)."""
    token = _wanted.set(True)
    try:
        response: dict[str, Any] = await client.query(**request)  # type: ignore[assignment]
    finally:
        _wanted.reset(token)
    body = response.pop(_RAW_BODY, None)
    if body is None:  # the handler was not registered on this client
        return response
    page: dict[str, Any] = json.loads(body)
    return page


def _keep_body(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: object
) -> None:
    if _wanted.get() and response_dict.get("status_code", 500) < 300:
        customized_response_dict[_RAW_BODY] = response_dict["body"]
        response_dict["body"] = b"{}"
