"""An aiohttp service whose store sends its traces and metrics to an OpenTelemetry collector.

    POST /counters/{counter_id}   add one to a counter, through store.transact
    GET  /counters                every counter, as a projector has counted them so far

Run it next to a collector that takes OTLP over HTTP on localhost:4318, the exporters'
default (``OTEL_EXPORTER_OTLP_ENDPOINT`` points them elsewhere)::

    pip install 'aio-eventstore[otel]' opentelemetry-sdk opentelemetry-exporter-otlp
    export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 AIO_EVENTSTORE_CREATE_TABLE=1
    python docs/examples/observability.py
"""

# ruff: noqa: INP001 - a script in the docs, not a package

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind, Tracer

from aio_eventstore import DEFAULT_TABLE_NAME, EventStore, VersionConflictError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp.typedefs import Handler

logger = logging.getLogger("counters")

# The store measures durations in seconds; the SDK's default buckets are made for
# milliseconds, and would put every operation in the first one.
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def providers(
    span_exporter: SpanExporter, metric_reader: MetricReader
) -> tuple[TracerProvider, MeterProvider]:
    """A tracer provider and a meter provider that send to these exporters."""
    resource = Resource.create({"service.name": "counters"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    durations = View(
        instrument_name="aio_eventstore.operation.duration",
        aggregation=ExplicitBucketHistogramAggregation(SECONDS),
    )
    meter_provider = MeterProvider(
        metric_readers=[metric_reader], resource=resource, views=[durations]
    )
    return tracer_provider, meter_provider


@dataclass(frozen=True)
class Settings:
    """What the service needs to know about its store."""

    table_name: str = DEFAULT_TABLE_NAME
    endpoint_url: str | None = None  # None: DynamoDB in the configured region
    settle: float = 2.0
    poll_interval: float = 1.0
    create_table: bool = False  # for local runs; in production the table is provisioned

    @classmethod
    def from_environment(cls) -> Settings:
        """Settings from environment variables, with the defaults above."""
        return cls(
            table_name=os.environ.get("AIO_EVENTSTORE_TABLE", DEFAULT_TABLE_NAME),
            endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
            settle=float(os.environ.get("AIO_EVENTSTORE_SETTLE", "2.0")),
            poll_interval=float(os.environ.get("AIO_EVENTSTORE_POLL_INTERVAL", "1.0")),
            create_table=os.environ.get("AIO_EVENTSTORE_CREATE_TABLE") == "1",
        )


SETTINGS = web.AppKey("settings", Settings)
TRACER_PROVIDER = web.AppKey("tracer_provider", TracerProvider)
METER_PROVIDER = web.AppKey("meter_provider", MeterProvider)
TRACER = web.AppKey("tracer", Tracer)
STORE = web.AppKey("store", EventStore)
TOTALS = web.AppKey("totals", dict[str, int])

COUNTER = "counter:"  # counters are the aggregates "counter:<id>"
INCREMENTED = {"type": "Incremented"}


def count(total: int, event: Any) -> int:  # noqa: ANN401 - an event, as stored
    """A counter's total after one more event."""
    return total + 1 if event == INCREMENTED else total


@web.middleware
async def traced(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Make each request a server span: the store's spans are its children."""
    resource = request.match_info.route.resource
    name = request.method if resource is None else f"{request.method} {resource.canonical}"
    with request.app[TRACER].start_as_current_span(name, kind=SpanKind.SERVER) as span:
        response = await handler(request)
        span.set_attribute("http.response.status_code", response.status)
        return response


async def increment(request: web.Request) -> web.Response:
    """Add one to a counter: load it, decide, append; on a conflict, again."""
    try:
        total, _ = await request.app[STORE].transact(
            COUNTER + request.match_info["counter_id"],
            lambda _: [INCREMENTED],
            evolve=count,
            initial=0,
        )
    except VersionConflictError:
        return web.json_response({"error": "too many writers at once, try again"}, status=409)
    return web.json_response({"total": total})


async def show_totals(request: web.Request) -> web.Response:
    """Every counter, as projected so far: eventually consistent with the increments."""
    return web.json_response(request.app[TOTALS])


async def project(store: EventStore, totals: dict[str, int], settings: Settings) -> None:
    """Count every counter's increments from the global stream, until cancelled."""
    async for commit in store.subscribe(
        settle=settings.settle,
        poll_interval=settings.poll_interval,
        name="totals-projector",  # its lag is reported under this name
    ):
        if commit.aggregate_id.startswith(COUNTER):
            counter_id = commit.aggregate_id.removeprefix(COUNTER)
            for event in commit.events:
                totals[counter_id] = count(totals.get(counter_id, 0), event)


async def event_store(app: web.Application) -> AsyncIterator[None]:
    """One store for the app's lifetime, reporting to the app's providers."""
    settings = app[SETTINGS]
    store = EventStore(
        settings.table_name,
        endpoint_url=settings.endpoint_url,
        tracer_provider=app[TRACER_PROVIDER],
        meter_provider=app[METER_PROVIDER],
        consumed_capacity=True,  # each span says what its requests cost
    )
    async with store:
        if settings.create_table:
            await store.create_table(exist_ok=True)
        app[STORE] = store
        projector = asyncio.create_task(project(store, app[TOTALS], settings))
        yield
        projector.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await projector


def create_app(
    settings: Settings, tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> web.Application:
    """The service, reporting to these providers."""
    app = web.Application(middlewares=[traced])
    app[SETTINGS] = settings
    app[TRACER_PROVIDER], app[METER_PROVIDER] = tracer_provider, meter_provider
    app[TRACER] = tracer_provider.get_tracer("counters")
    app[TOTALS] = {}
    app.cleanup_ctx.append(event_store)
    app.router.add_post("/counters/{counter_id}", increment)
    app.router.add_get("/counters", show_totals)
    return app


def main() -> None:
    """Serve on port 8080, sending traces and metrics over OTLP until stopped."""
    logging.basicConfig(level=logging.INFO)
    tracer_provider, meter_provider = providers(
        OTLPSpanExporter(), PeriodicExportingMetricReader(OTLPMetricExporter())
    )
    app = create_app(Settings.from_environment(), tracer_provider, meter_provider)
    try:
        web.run_app(app, host="127.0.0.1", port=8080)
    finally:
        # Send what is still buffered: the last spans, the last metrics.
        tracer_provider.shutdown()
        meter_provider.shutdown()


if __name__ == "__main__":
    main()
