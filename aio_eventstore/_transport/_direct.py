"""The direct transport: DynamoDB's JSON protocol, signed here, over the store's own aiohttp.

botocore's request pipeline (endpoint rules, serialisation, event hooks, signing through a
general canonicaliser, parsing by shape) costs about three quarters of an append's client
CPU. The store's requests have one fixed shape, so this transport sends them as they are: a
``POST`` of the request's JSON, signed by a signer made for that shape (``_sigv4``), on an
aiohttp session with the pool size and timeouts of the store's config. The answer's JSON is
the answer.

What botocore would resolve is still botocore's to resolve, once, when the store opens: the
endpoint (``endpoint_url``, ``AWS_ENDPOINT_URL_DYNAMODB``, FIPS, dual-stack) and region of
the client the store opened, the credentials of its session's chain (refreshed whenever
botocore's refreshable credentials say so), the CA bundle, client certificate and proxies.
A setting this transport cannot honour (proxy TLS settings, adaptive retries, unsigned
requests) is reported by :class:`Unsupported`, and the store then sends through botocore.

Every answer's ``x-amz-crc32`` is checked before it is decoded: a mismatch is retried like a
dropped connection. Each attempt is signed afresh, and built afresh when the request is a
function (an append is stamped anew): see ``_retry`` for which failures are retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
import time
import zlib
from collections import Counter
from typing import TYPE_CHECKING, Any

import aiohttp
from botocore import UNSIGNED
from botocore.exceptions import BotoCoreError
from botocore.httpsession import ProxyConfiguration, create_urllib3_context, get_cert_path
from botocore.utils import get_environ_proxies
from yarl import URL

from aio_eventstore._exceptions import AccessDeniedError, EventStoreError, UnavailableError

from ._errors import error_for, translate
from ._retry import RetryPolicy
from ._sigv4 import Credentials, Signer, host_header

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aiobotocore.credentials import AioCredentials
    from botocore.config import Config

    from ._base import Answer, Request

__all__ = ["DirectTransport", "Unsupported"]

logger = logging.getLogger("aio_eventstore.transport")

_TARGET_PREFIX = "DynamoDB_20120810."
_REQUEST_ID = "x-amzn-RequestId"
_CRC32 = "x-amz-crc32"
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_XML_CODE = re.compile(rb"<Code>([^<]{1,200})</Code>")
# The aiohttp connector options of an AioConfig's connector_args that mean the same here.
_CONNECTOR_ARGS = ("use_dns_cache", "ttl_dns_cache", "keepalive_timeout", "force_close", "resolver")


class Unsupported(Exception):  # noqa: N818 - a reason, not an error: the store falls back
    """A setting the direct transport cannot honour; the message says which."""


class DirectTransport:
    """Sends signed DynamoDB requests on an aiohttp session of its own, with its own retries.

    Open it with :meth:`open`; :meth:`close` releases its connections.

    Attributes:
        sent: the HTTP requests sent so far, by operation, retries included.
        on_retry: called as ``on_retry(operation, attempt, error, delay)`` before each
            retry, for telemetry.
    """

    def __init__(
        self,
        *,
        endpoint_url: str,
        region: str,
        credentials: AioCredentials | None,
        config: Config,
        ssl_context: ssl.SSLContext | None,
        user_agent: str,
    ) -> None:
        url = URL(endpoint_url)
        if url.raw_path == "/" and not str(url).endswith("/"):
            url = URL(f"{url}/")  # spelt out, or aiohttp sends a proxy no path at all
        self._url = url
        self._path = url.raw_path
        self._host = host_header(endpoint_url)
        self._signer = Signer(region)
        self._credentials = credentials
        self.sent: Counter[str] = Counter()
        self.on_retry: Callable[[str, int, EventStoreError, float], None] | None = None
        self._retry = RetryPolicy.from_config(_setting(config, "retries"))
        # The proxy botocore would take: the config's, else the environment's (NO_PROXY
        # honoured), found once here rather than for each request.
        proxies = ProxyConfiguration(
            _setting(config, "proxies") or get_environ_proxies(endpoint_url)
        )
        self._proxy: str | None = proxies.proxy_url_for(endpoint_url)
        self._proxy_headers = proxies.proxy_headers_for(self._proxy) if self._proxy else None
        connector_args: Mapping[str, Any] = _setting(config, "connector_args") or {}
        pool_size = _setting(config, "max_pool_connections")
        self._slots = asyncio.Semaphore(pool_size)
        connector = aiohttp.TCPConnector(
            limit=pool_size,
            ssl=connector_args.get("ssl_context") or ssl_context or False,
            **{name: connector_args[name] for name in _CONNECTOR_ARGS if name in connector_args},
        )
        self._http = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=None,
                sock_connect=_setting(config, "connect_timeout"),
                sock_read=_setting(config, "read_timeout"),
            ),
            # The CRC32 is of the body as sent: take it as it is, never re-encoded.
            auto_decompress=False,
            headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
        )

    def __repr__(self) -> str:
        return f"<DirectTransport {self._url}>"

    @classmethod
    async def open(
        cls,
        *,
        endpoint_url: str,
        region: str | None,
        credentials: AioCredentials | None,
        config: Config,
        verify: bool | str | None,
        user_agent: str,
    ) -> DirectTransport:
        """A transport to ``endpoint_url``, or :class:`Unsupported` if a setting can't be had.

        Args:
            endpoint_url: the endpoint, as the aiobotocore client resolved it.
            region: the region to sign for.
            credentials: the session's credentials (``None``: none were found; every call
                then raises ``AccessDeniedError``).
            config: the client's merged botocore config.
            verify: TLS verification: ``True``, ``False``, or a CA bundle's path; ``None``
                for botocore's default bundle.
            user_agent: the ``User-Agent`` header.
        """
        if region is None:
            raise Unsupported("no region to sign for")
        if _setting(config, "signature_version") is UNSIGNED:
            raise Unsupported("the config asks for unsigned requests")
        if _setting(config, "proxies_config"):
            raise Unsupported("proxies_config (TLS settings for the proxy) is set")
        if (_setting(config, "retries") or {}).get("mode") == "adaptive":
            raise Unsupported("retries in adaptive mode (client-side rate limiting)")
        ssl_context = None
        if URL(endpoint_url).scheme == "https":
            # Reading a CA bundle takes tens of milliseconds: not on the event loop.
            client_cert = _setting(config, "client_cert")
            ssl_context = await asyncio.to_thread(_ssl_context, verify, client_cert)
        return cls(
            endpoint_url=endpoint_url,
            region=region,
            credentials=credentials,
            config=config,
            ssl_context=ssl_context,
            user_agent=user_agent,
        )

    async def call(self, operation: str, request: Request | Callable[[], Request]) -> Answer:
        """Send the request, retrying by the policy; return the answer or raise typed."""
        target = _TARGET_PREFIX + operation
        build = request if callable(request) else None
        body = b"" if build is not None else _encode(request).encode()
        attempt = 1
        while True:
            try:
                credentials = await self._frozen_credentials()
                # A connection is free before the request is built: an append's stamp does
                # not age in the pool's queue, only in its own attempt.
                async with self._slots:
                    payload = _encode(build()).encode() if build is not None else body
                    self.sent[operation] += 1
                    answer = await self._send(credentials, target, payload)
            except EventStoreError as error:
                delay = self._retry.backoff(attempt, error)
                if delay is None:
                    raise
                logger.debug(
                    "%s attempt %d: %s (%s); retrying in %.3f s",
                    operation,
                    attempt,
                    type(error).__name__,
                    error.code,
                    delay,
                )
                if self.on_retry is not None:
                    self.on_retry(operation, attempt, error, delay)
                await asyncio.sleep(delay)
                attempt += 1
                continue
            self._retry.succeeded(attempt)
            return answer

    async def _frozen_credentials(self) -> Credentials:
        """The credentials to sign with, refreshed first if botocore says they must be."""
        credentials = self._credentials
        if credentials is None:
            raise AccessDeniedError("no AWS credentials: none were found in the session's chain")
        try:
            frozen: Credentials = await credentials.get_frozen_credentials()
        except BotoCoreError as exc:
            raise translate(exc) from exc
        return frozen

    async def _send(self, credentials: Credentials, target: str, body: bytes) -> Answer:
        headers = self._signer.sign(
            credentials, host=self._host, target=target, body=body, now=time.time(), path=self._path
        )
        try:
            async with self._http.post(
                self._url,
                data=body,
                headers=headers,
                proxy=self._proxy,
                proxy_headers=self._proxy_headers,
            ) as response:
                raw = await response.read()
                status = response.status
                crc32 = response.headers.get(_CRC32)
                request_id = response.headers.get(_REQUEST_ID)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise translate(exc) from exc
        if crc32 is not None and crc32 != str(zlib.crc32(raw)):
            raise UnavailableError(
                f"the answer's x-amz-crc32 {crc32} does not match its body: corrupted on the way",
                request_id=request_id,
            )
        if status == 200:
            answer: Answer = json.loads(raw)
            return answer
        raise _error(status, raw, request_id)

    async def close(self) -> None:
        """Close the connections; safe to call twice."""
        await self._http.close()


def _setting(config: Config, name: str) -> Any:  # noqa: ANN401 - botocore's settings vary
    # Config sets every option it knows as an attribute; its stubs name only some.
    return getattr(config, name, None)


def _error(status: int, raw: bytes, request_id: str | None) -> EventStoreError:
    """The typed error of a failed answer: DynamoDB's JSON, or a body that is not (XML, HTML)."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = str(body.get("__type", "")).rpartition("#")[2]
        message = str(body.get("message") or body.get("Message") or "")
    else:  # moto's IAM check answers in XML, a proxy in HTML
        found = _XML_CODE.search(raw)
        code = found.group(1).decode(errors="replace") if found else ""
        message = f"HTTP {status}, not a DynamoDB answer"
        body = {}
    return error_for(code, message, status=status, request_id=request_id, body=body)


def _ssl_context(
    verify: bool | str | None, client_cert: str | tuple[str, str] | None
) -> ssl.SSLContext:
    """The TLS settings botocore's own HTTP session would use."""
    context: ssl.SSLContext = create_urllib3_context()
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context.check_hostname = True
        bundle: Any = True if verify is None else verify  # True: botocore's default bundle
        context.load_verify_locations(get_cert_path(bundle))
    if isinstance(client_cert, tuple):
        context.load_cert_chain(client_cert[0], keyfile=client_cert[1])
    elif isinstance(client_cert, str):
        context.load_cert_chain(client_cert)
    return context
