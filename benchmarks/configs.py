"""The client settings of each contender.

Raw aiobotocore, the baseline, is what a user writes by hand: botocore's defaults, with a
connection pool as large as the store's so that 64 appends in flight don't queue. A second
raw contender gets the store's own defaults (``aio_eventstore._client.DEFAULT_CONFIG``,
read from the store rather than copied): it shows what the store's code costs on top of its
settings. boto3 gets the store's options in a botocore ``Config`` (its pool at least as
large as the concurrency), and the JS library their equivalents.
"""

from __future__ import annotations

from typing import Any

from aiobotocore.config import AioConfig
from botocore.config import Config

from aio_eventstore._client import DEFAULT_CONFIG
from benchmarks.contender import BOTO3, JS, RAW, RAW_TUNED, STORE

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
    store = _format(user_options(STORE_CONFIG))
    return {
        STORE: f"its defaults (no config given): {store}",
        RAW: f"botocore's defaults but the pool: {_format(user_options(RAW_CONFIG))}",
        RAW_TUNED: f"the store's defaults, the same AioConfig: {store}",
        BOTO3: f"a botocore Config: {_format(user_options(boto3_config(max_concurrency)))}",
        JS: f"AWS SDK v2, a keep-alive http.Agent: {_format(js_options())}",
    }


def _format(options: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in sorted(options.items()))
