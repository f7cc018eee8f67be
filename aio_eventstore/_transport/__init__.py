"""The wire: how the store's data-plane requests reach DynamoDB, and how errors come back.

The store speaks to a :class:`Transport`: one method, ``call(operation, request)``, that
sends a request in DynamoDB's JSON protocol, retries what is worth retrying, and returns the
answer or raises the store's typed error. :class:`DirectTransport` signs and sends them on
an aiohttp session of its own, with its own retries; :class:`BotocoreTransport` sends them
through an aiobotocore client. Translating the AWS stack's errors lives here too, in
``_errors``: it is the transport that meets them.
"""

from ._base import Answer, Request, Transport
from ._botocore import BotocoreTransport
from ._direct import DirectTransport, Unsupported
from ._errors import (
    ConditionFailedError,
    TransactionCanceledError,
    error_code,
    translate,
    translated,
)

__all__ = [
    "Answer",
    "BotocoreTransport",
    "ConditionFailedError",
    "DirectTransport",
    "Request",
    "TransactionCanceledError",
    "Transport",
    "Unsupported",
    "error_code",
    "translate",
    "translated",
]
