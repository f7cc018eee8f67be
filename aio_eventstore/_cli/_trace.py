"""``--trace``: the command's spans, printed to stderr by OpenTelemetry's console exporter."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._exit import CommandError, Exit

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["console_tracing"]


@contextmanager
def console_tracing() -> Iterator[Any]:
    """A tracer provider that prints each span to stderr as it ends; shut down after."""
    try:
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415 - optional
        from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        raise CommandError(
            "--trace needs the OpenTelemetry SDK: pip install 'aio-eventstore[otel]' "
            "opentelemetry-sdk",
            Exit.USAGE,
        ) from None
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    try:
        yield provider
    finally:
        provider.shutdown()
