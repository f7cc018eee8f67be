"""AWS Signature Version 4 for DynamoDB's JSON 1.0 requests, and nothing else.

botocore's ``SigV4Auth.add_auth`` costs about a fifth of an append's client CPU: not its HMACs,
but its general canonicaliser (URL parsing, header maps, sorting, whitespace folding) run
afresh on every request. The store's data-plane requests all have one shape: a ``POST`` of a
JSON body to one path, with the same four or five signed headers. For that shape the canonical
request is one format string, and the signature is byte for byte the one botocore computes
(``tests/test_sigv4.py`` checks that against ``SigV4Auth`` itself). Inputs outside that shape
are refused with ``ValueError`` rather than signed differently.

What changes rarely is cached: the ``X-Amz-Date`` text of the current second; the signing key
(four HMACs), which depends only on the secret key and the UTC day; the last host and session
token found valid.

**The Host rule.** The signature covers the ``Host`` header, so it must be computed over the
exact value the server receives. :meth:`Signer.sign` therefore returns a ``Host`` header too,
which aiohttp sends as given instead of deriving its own from the URL. Pass the endpoint's
:func:`host_header`: the lower-case host name, an IPv6 address in brackets, and ``:port`` only
when the port is not the scheme's default, the value botocore signs for the same URL.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
import re
import time
from hashlib import sha256
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from hashlib import _Hash

__all__ = ["CONTENT_TYPE", "Credentials", "Signer", "derive_signing_key", "host_header"]

CONTENT_TYPE = "application/x-amz-json-1.0"
"""The ``Content-Type`` of every DynamoDB JSON 1.0 request, signed and sent as is."""

_ALGORITHM = "AWS4-HMAC-SHA256"
_SIGNED_HEADERS = "content-type;host;x-amz-date;x-amz-target"
_SIGNED_HEADERS_TEMPORARY = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
_DEFAULT_PORTS = {"http": 80, "https": 443}

# A scope part goes into the Authorization header unescaped: keep it to what AWS uses.
_SCOPE_PART = re.compile(r"[a-z0-9-]+")
# Host names as urlsplit() gives them back unchanged (lower case, no IDN, no userinfo, no
# percent-escapes), or a bracketed IPv6 address; then an optional port in its canonical
# decimal form, so that no other spelling of the same endpoint could be signed.
_HOST = re.compile(r"(?:[a-z0-9._-]+|\[(?P<ipv6>[0-9a-f:.]+)\])(?::(?P<port>0|[1-9][0-9]{0,4}))?")
# Paths that botocore's normalisation (dot segments, empty segments) and quoting leave as they
# are: "/" followed by segments of unreserved characters, none of them "." or "..".
_PATH = re.compile(r"/|(?:/(?!\.\.?(?:/|\Z))[A-Za-z0-9._~-]+)+/?")

# With OpenSSL 3, setting up a hash or an HMAC costs more than hashing a whole request: a copy
# of a hash already set up, or already fed an HMAC key's pad, costs a quarter of that.
_SHA256 = sha256()
_HMAC_BLOCK = 64  # SHA-256's block size, to which RFC 2104 pads an HMAC key

# time.gmtime() and a 4-digit year: 1970-01-01 up to the end of 9999, as datetime allows.
_END_OF_9999 = 253_402_300_800


class Credentials(Protocol):
    """Frozen credentials, as botocore's ``ReadOnlyCredentials`` holds them."""

    @property
    def access_key(self) -> str | None:
        """The access key id."""

    @property
    def secret_key(self) -> str | None:
        """The secret access key."""

    @property
    def token(self) -> str | None:
        """The session token of temporary credentials; ``None`` or empty for long-term keys."""


def derive_signing_key(secret_key: str, date_stamp: str, region: str, service: str) -> bytes:
    """The SigV4 signing key of a secret key for one UTC day (``YYYYMMDD``), region and service."""
    key = hmac.digest(f"AWS4{secret_key}".encode(), date_stamp.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def host_header(url: str) -> str:
    """The ``Host`` value to sign and send for an endpoint URL, as botocore derives it.

    Raises:
        ValueError: The URL is not ``http`` or ``https``, or its host is not one
            :meth:`Signer.sign` accepts (an internationalised name, an IPv6 zone, ...).
    """
    parts = urlsplit(url)
    default_port = _DEFAULT_PORTS.get(parts.scheme)
    if default_port is None or not parts.hostname:
        raise ValueError(f"not an http or https URL with a host: {url!r}")
    host = parts.hostname  # lower case, without userinfo and brackets
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != default_port:
        host = f"{host}:{port}"
    _check_host(host)
    return host


def _check_host(host: str) -> None:
    match = _HOST.fullmatch(host)
    if match is not None:
        port = match["port"]
        ipv6 = match["ipv6"]
        if (port is None or int(port) <= 65535) and (ipv6 is None or _is_ipv6(ipv6)):
            return
    raise ValueError(
        f"unsupported Host {host!r}: expected a lower-case host name or bracketed IPv6 "
        "address, then ':port' if not the default (see host_header())"
    )


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _is_plain_header_value(value: str) -> bool:
    # botocore signs a header's value with its whitespace folded, but sends it unfolded; a value
    # without whitespace or control characters is signed as sent.
    return value.isascii() and value.isprintable() and " " not in value and value != ""


class Signer:
    """Signs DynamoDB JSON 1.0 requests (``POST``, no query string) for one region.

    One instance serves any number of requests, credentials and endpoints; it keeps the
    signing key of the last (secret key, UTC day) it saw.

    Raises:
        ValueError: ``region`` or ``service`` is not lower-case letters, digits and dashes.
    """

    __slots__ = ("_checked_host", "_checked_token", "_clock", "_key", "_region", "_service")

    def __init__(self, region: str, service: str = "dynamodb") -> None:
        for name, value in (("region", region), ("service", service)):
            if not _SCOPE_PART.fullmatch(value):
                raise ValueError(f"unsupported {name} {value!r}")
        self._region = region
        self._service = service
        # (start and end of an epoch second, its X-Amz-Date, date stamp and credential scope),
        # replaced as a whole so that a reader never sees parts of two different seconds.
        self._clock: tuple[int, int, str, str, str] = (0, 0, "", "", "")
        # (secret key, date stamp, HMAC inner hash, HMAC outer hash): the signing key of one
        # secret and day, as the two hashes an HMAC with it starts from; rederived when either
        # changes. One entry is enough: requests are signed in clock order, and a clock
        # stepping back over midnight costs a derivation, never a wrong key.
        self._key: tuple[str, str, _Hash, _Hash] = ("", "", _SHA256, _SHA256)
        # The last host and token found valid, so that the usual request checks neither.
        self._checked_host: str | None = None
        self._checked_token: str | None = None

    def sign(
        self,
        credentials: Credentials,
        *,
        host: str,
        target: str,
        body: bytes,
        now: float,
        path: str = "/",
    ) -> dict[str, str]:
        """The headers that send ``body`` to ``target``, signed at ``now``.

        Args:
            credentials: Frozen credentials, e.g. botocore's ``get_frozen_credentials()``.
            host: The ``Host`` header, as :func:`host_header` gives it for the endpoint.
            target: The ``X-Amz-Target``, e.g. ``"DynamoDB_20120810.PutItem"``.
            body: The request body, exactly as it is sent.
            now: Seconds since the epoch (``time.time()``); the signature is of its second.
            path: The request's path, as it is sent; ``"/"`` for DynamoDB.

        Returns:
            ``Host``, ``Content-Type``, ``X-Amz-Target``, ``X-Amz-Date``,
            ``X-Amz-Security-Token`` when the credentials have a token, and ``Authorization``:
            a new dictionary, the caller's to send or extend.

        Raises:
            ValueError: An input this signer would not sign as botocore does: a host not in
                :func:`host_header`'s form, a path that is not already canonical, a target or
                token with whitespace or non-ASCII characters, a time before 1970 or after
                9999, or credentials without a key.
        """
        access_key = credentials.access_key
        secret_key = credentials.secret_key
        token = credentials.token
        if access_key is None or secret_key is None:
            raise ValueError("credentials without an access key or secret key")
        if host != self._checked_host:
            _check_host(host)
            self._checked_host = host
        if not _is_plain_header_value(target):
            raise ValueError(f"unsupported X-Amz-Target {target!r}")
        if path != "/" and not _PATH.fullmatch(path):
            raise ValueError(f"unsupported path {path!r}: expected a normalised, unescaped path")

        clock = self._clock
        if not clock[0] <= now < clock[1]:
            clock = self._tick(now)
        _, _, amz_date, date_stamp, scope = clock
        key = self._key
        if key[1] != date_stamp or key[0] != secret_key:
            key = self._rekey(secret_key, date_stamp)

        payload_hash = _SHA256.copy()
        payload_hash.update(body)
        if token:  # botocore treats an empty token as none
            if token != self._checked_token:
                self._check_token(token)
            signed_headers = _SIGNED_HEADERS_TEMPORARY
            canonical_request = (
                f"POST\n{path}\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n"
                f"x-amz-date:{amz_date}\nx-amz-security-token:{token}\n"
                f"x-amz-target:{target}\n\n{signed_headers}\n{payload_hash.hexdigest()}"
            )
        else:
            signed_headers = _SIGNED_HEADERS
            canonical_request = (
                f"POST\n{path}\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n"
                f"x-amz-date:{amz_date}\nx-amz-target:{target}\n\n"
                f"{signed_headers}\n{payload_hash.hexdigest()}"
            )
        request_hash = _SHA256.copy()
        request_hash.update(canonical_request.encode())
        string_to_sign = f"{_ALGORITHM}\n{amz_date}\n{scope}\n{request_hash.hexdigest()}"
        inner = key[2].copy()  # HMAC(signing key, string to sign), from the key's cached pads
        inner.update(string_to_sign.encode())
        outer = key[3].copy()
        outer.update(inner.digest())
        signature = outer.hexdigest()
        headers = {
            "Host": host,
            "Content-Type": CONTENT_TYPE,
            "X-Amz-Target": target,
            "X-Amz-Date": amz_date,
            "Authorization": (
                f"{_ALGORITHM} Credential={access_key}/{scope}, "
                f"SignedHeaders={signed_headers}, Signature={signature}"
            ),
        }
        if token:
            headers["X-Amz-Security-Token"] = token
        return headers

    def _check_token(self, token: str) -> None:
        if not _is_plain_header_value(token):
            raise ValueError("unsupported session token: whitespace or non-ASCII characters")
        self._checked_token = token

    def _rekey(self, secret_key: str, date_stamp: str) -> tuple[str, str, _Hash, _Hash]:
        signing_key = derive_signing_key(secret_key, date_stamp, self._region, self._service)
        padded = signing_key.ljust(_HMAC_BLOCK, b"\0")  # a 32-byte key is never longer
        inner = sha256(bytes(byte ^ 0x36 for byte in padded))
        outer = sha256(bytes(byte ^ 0x5C for byte in padded))
        key = (secret_key, date_stamp, inner, outer)
        self._key = key
        return key

    def _tick(self, now: float) -> tuple[int, int, str, str, str]:
        if not 0 <= now < _END_OF_9999:  # NaN too
            raise ValueError(f"unsupported time {now!r}: expected seconds from 1970 to 9999")
        second = math.floor(now)
        t = time.gmtime(second)
        date_stamp = f"{t.tm_year:04d}{t.tm_mon:02d}{t.tm_mday:02d}"
        amz_date = f"{date_stamp}T{t.tm_hour:02d}{t.tm_min:02d}{t.tm_sec:02d}Z"
        scope = f"{date_stamp}/{self._region}/{self._service}/aws4_request"
        clock = (second, second + 1, amz_date, date_stamp, scope)
        self._clock = clock
        return clock
