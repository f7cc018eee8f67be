"""The botocore transport: every request through an aiobotocore client, as botocore sends it.

botocore retries by its own configuration, fires its events, and can be instrumented. Query
answers are the exception to its parsing: botocore walks its shape model at 20 to 40 µs of
CPU per item, while a commit's item has a fixed shape of strings and numbers that
``json.loads`` decodes in a fraction of that, into the very same ``{"S": ...}`` form. So, for
the store's own Query calls only, a ``before-parse`` handler takes the successful answer's
body and hands the parser an empty object; errors are parsed as usual. A context variable
marks the store's calls, so a client shared with the application behaves exactly as before.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from ._errors import translated

if TYPE_CHECKING:
    from collections.abc import Callable

    from types_aiobotocore_dynamodb import DynamoDBClient

    from ._base import Answer, Request

__all__ = ["BotocoreTransport"]

_EVENT = "before-parse.dynamodb.Query"
_HANDLER_ID = "aio_eventstore.keep-raw-query-body"
_RAW_BODY = "RawBody"
_wanted: ContextVar[bool] = ContextVar("aio_eventstore_raw_body", default=False)

_METHODS = {
    "DeleteItem": "delete_item",
    "GetItem": "get_item",
    "PutItem": "put_item",
    "Query": "query",
    "TransactWriteItems": "transact_write_items",
    "UpdateItem": "update_item",
}


class BotocoreTransport:
    """Sends through ``client``, which stays its owner's: closing this closes nothing."""

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client
        # Registering twice (a client shared by two stores) changes nothing.
        client.meta.events.register(_EVENT, _keep_body, unique_id=_HANDLER_ID)

    def __repr__(self) -> str:
        return "<BotocoreTransport>"

    async def call(self, operation: str, request: Request | Callable[[], Request]) -> Answer:
        """Send the request once: botocore retries it, as it was built, by its config."""
        if callable(request):
            request = request()
        method = getattr(self.client, _METHODS[operation])
        token = _wanted.set(operation == "Query")
        try:
            with translated():
                answer: dict[str, Any] = await method(**request)
        finally:
            _wanted.reset(token)
        body = answer.pop(_RAW_BODY, None)
        if body is None:
            return answer
        page: Answer = json.loads(body)
        return page

    async def close(self) -> None:
        """Nothing to release: the client is closed by whoever opened it."""


def _keep_body(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: object
) -> None:
    if _wanted.get() and response_dict.get("status_code", 500) < 300:
        customized_response_dict[_RAW_BODY] = response_dict["body"]
        response_dict["body"] = b"{}"
