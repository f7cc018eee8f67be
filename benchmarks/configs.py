"""The client settings of each contender.

Raw aiobotocore, the baseline, is what a user writes by hand: botocore's defaults, with a
connection pool as large as the store's so that 64 appends in flight don't queue. A second
raw contender gets the store's own defaults (``aio_eventstore._client.DEFAULT_CONFIG``,
read from the store rather than copied): it shows what the store's code costs on top of its
settings. boto3 gets the store's options in a botocore ``Config`` (its pool at least as
large as the concurrency), and the JS library their equivalents.

Both store contenders run on the store's defaults; the direct transport reads the same
merged config as the botocore one (pool, timeouts, retries). The bare floor has no config:
a plain aiohttp connector of the store's pool size, and nothing else. The telemetry cases'
two stores run on the store's defaults too, and differ by their telemetry alone.
"""

from __future__ import annotations

from typing import Any

from aiobotocore.config import AioConfig
from botocore.config import Config

from aio_eventstore._client import DEFAULT_CONFIG
from benchmarks.contender import (
    BOTO3,
    FLOOR,
    JS,
    RAW,
    RAW_TUNED,
    STORE,
    STORE_BOTOCORE,
    TELEMETRY_OFF,
    TELEMETRY_ON,
)

STORE_CONFIG = DEFAULT_CONFIG
"""What aio_eventstore uses when given no ``config``, and the tuned raw contender too."""


_DEFAULT_ATTEMPTS = {"legacy": 5, "standard": 3, "adaptive": 3}


def user_options(config: Config) -> dict[str, Any]:
    """The options of a ``Config`` that differ from botocore's defaults."""
    defaults = Config()
    return {
        name: getattr(config, name)
        for name in Config.OPTION_DEFAULTS
        if getattr(config, name) != getattr(defaults, name)
    }


RAW_CONFIG = AioConfig(max_pool_connections=user_options(STORE_CONFIG)["max_pool_connections"])
"""The baseline: botocore's defaults but for the pool."""


MOTO_READ_TIMEOUT = 60

MOTO_CONFIG = Config(read_timeout=MOTO_READ_TIMEOUT)
"""Merged over the store's defaults on moto's server, whose Query of a 1,000-commit aggregate
takes a second or more (several on a busy machine): past the store's read timeout, whose
retries would only pile more work on the server."""


def boto3_config(concurrency: int) -> Config:
    """The store's defaults for boto3, with a connection per thread at ``concurrency``."""
    options = user_options(STORE_CONFIG)
    pool = max(options.get("max_pool_connections", 10), concurrency)
    return Config(**(options | {"max_pool_connections": pool}))


def js_options() -> dict[str, Any]:
    """The store's defaults in the AWS SDK for JavaScript v2's terms (see seed_bench.js)."""
    options = user_options(STORE_CONFIG)
    retries: dict[str, Any] = options.get("retries") or {}
    attempts = retries.get("total_max_attempts")
    if attempts is None and "max_attempts" in retries:
        attempts = retries["max_attempts"] + 1
    if attempts is None:
        attempts = _DEFAULT_ATTEMPTS[retries.get("mode", "legacy")]
    return {
        "maxRetries": attempts - 1,
        "connectTimeout": round(1000 * options.get("connect_timeout", 60)),
        "timeout": round(1000 * options.get("read_timeout", 60)),
        "maxSockets": options.get("max_pool_connections", 10),
        "paramValidation": options.get("parameter_validation", True),
    }


def describe(max_concurrency: int) -> dict[str, str]:
    """Each contender's client settings, for the results and the docs."""
    options = user_options(STORE_CONFIG)
    store = _format(options)
    return {
        STORE: f"its defaults (no config given), the direct transport: {store}",
        STORE_BOTOCORE: f'its defaults, transport="botocore": {store}',
        FLOOR: (
            "the store's SigV4 Signer, aiohttp.ClientSession(connector=TCPConnector("
            f"limit={options['max_pool_connections']})), no retries, aiohttp's default timeouts"
        ),
        RAW: f"botocore's defaults but the pool: {_format(user_options(RAW_CONFIG))}",
        RAW_TUNED: f"the store's defaults, the same AioConfig: {store}",
        BOTO3: f"a botocore Config: {_format(user_options(boto3_config(max_concurrency)))}",
        JS: f"AWS SDK v2, a keep-alive http.Agent: {_format(js_options())}",
        "transact and consumer groups (every contender)": (
            "stores on their defaults, the direct transport, each with a client and a transport"
            " of its own; on dynalite, and on moto's server in a child process, there with"
            f" read_timeout={MOTO_READ_TIMEOUT} over the defaults"
        ),
        TELEMETRY_OFF: (
            "its defaults, the direct transport, store._telemetry = NO_TELEMETRY before it"
            " opens: what a store runs without the otel extra"
        ),
        TELEMETRY_ON: (
            "its defaults, the direct transport, tracer_provider=TracerProvider() with a"
            " SimpleSpanProcessor of an exporter that drops every span, meter_provider="
            "MeterProvider(metric_readers=[InMemoryMetricReader()]), never collected"
        ),
    }


def _format(options: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in sorted(options.items()))
