"""What telemetry costs: appends by the store reporting to OpenTelemetry's SDK, and without any.

Two stores of the appends table, on the run's dynalite (a process of its own, so that the
client CPU is the client's alone), each with a client and a transport of its own, take
turns in every round:

- *no telemetry*: what a store runs without the ``otel`` extra, ``NO_TELEMETRY``: one call
  to an empty context manager per operation. Where ``opentelemetry-api`` can be imported,
  a store reports to the global providers (OpenTelemetry's no-op ones, unless the
  application set others); so this store is given ``NO_TELEMETRY`` after it is made and
  before it opens, which is the state a store without the extra starts in.
- *OpenTelemetry SDK*: ``EventStore(..., tracer_provider=..., meter_provider=...)``, with a
  ``TracerProvider`` whose ``SimpleSpanProcessor`` hands each ended span to an exporter
  that counts it and drops it, and a ``MeterProvider`` whose ``InMemoryMetricReader``
  aggregates every measurement, as a periodic exporter's reader does, and is never
  collected. What it measures is the store's telemetry and the SDK's work for each span and
  measurement; not an exporter's, whose encoding and sending would come on top.

Each append is one operation: one span, one duration recorded in a histogram, one count of
commits written. Every sample checks that the SDK's store ended a span for each of its
appends (its warm-up's included), and that the other ended none there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from aio_eventstore import EventStore
from aio_eventstore._telemetry import NO_TELEMETRY
from benchmarks.contender import TELEMETRY_OFF, TELEMETRY_ON
from benchmarks.store_contender import StoreContender

if TYPE_CHECKING:
    from collections.abc import Sequence

    from opentelemetry.sdk.trace import ReadableSpan

    from benchmarks.contender import AppendWork, Sample


def without_telemetry(
    table_name: str,
    index_name: str,
    **options: Any,  # noqa: ANN401 - EventStore's keyword arguments
) -> EventStore:
    """A store, not yet open, with no telemetry at all: as one without the ``otel`` extra."""
    store = EventStore(table_name, index_name, **options)
    store._telemetry = NO_TELEMETRY  # noqa: SLF001 - chosen when the store is made
    return store


class DroppingExporter(SpanExporter):
    """Counts the spans it is handed, and drops them."""

    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Count ``spans``; export nothing."""
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


class SdkTelemetry:
    """OpenTelemetry's SDK set up as an application sets it up, exporting nothing.

    Attributes:
        exporter: the spans ended so far, counted.
        tracer_provider: the SDK's, its one processor a ``SimpleSpanProcessor`` of ``exporter``.
        meter_provider: the SDK's, its one reader an ``InMemoryMetricReader`` never collected.
    """

    def __init__(self) -> None:
        self.exporter = DroppingExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])

    def store(
        self,
        table_name: str,
        index_name: str,
        **options: Any,  # noqa: ANN401 - EventStore's keyword arguments
    ) -> EventStore:
        """A store, not yet open, reporting to these providers."""
        return EventStore(
            table_name,
            index_name,
            tracer_provider=self.tracer_provider,
            meter_provider=self.meter_provider,
            **options,
        )

    def shutdown(self) -> None:
        """Shut both providers down, once every store is closed."""
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


class TelemetryProbe:
    """Appends by the store without telemetry and by the store reporting to the SDK."""

    def __init__(self, off: EventStore, on: EventStore, sdk: SdkTelemetry) -> None:
        self._contenders = {
            name: StoreContender({store.table_name: store}, store.table_name, "direct", name)
            for name, store in ((TELEMETRY_OFF, off), (TELEMETRY_ON, on))
        }
        self._sdk = sdk

    async def append(self, contender: str, work: AppendWork) -> Sample:
        """Do ``work`` by ``contender``, timed, its warm-up not; check the spans ended."""
        before = self._sdk.exporter.spans
        sample = await self._contenders[contender].append(work)
        spans = self._sdk.exporter.spans - before
        expected = work.count + work.concurrency if contender == TELEMETRY_ON else 0
        if spans != expected:
            raise RuntimeError(f"{contender} ended {spans} spans, not {expected}")
        return sample
