"""OpenTelemetry: a span per store operation, metrics, retries as events, capacity.

The store reports to the SDK's in-memory span exporter and metric reader given to it. The
tests check names, parents, attributes and status; that retries under injected throttling
appear as events; that no payload reaches any attribute, and aggregate ids only when asked.
Without OpenTelemetry installed the store imports none of it: a child process that cannot
import it shows that.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from conftest import Clock, on_servers_with_transactions
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from test_cli import cli  # noqa: F401 - the fixture: the command, as its tests run it
from test_docs_examples import delete_table, load_example, point_the_examples_at

from aio_eventstore import EventStore, ThrottledError, VersionConflictError
from aio_eventstore._cli._exit import Exit

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from conftest import Backend
    from faultproxy import FaultProxy
    from test_cli import Cli

PAYLOAD = "payload-7f3e-never-in-telemetry"


class Telemetry:
    """The spans and metrics a store reported, read back."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    @property
    def options(self) -> dict[str, Any]:
        return {"tracer_provider": self.tracer_provider, "meter_provider": self.meter_provider}

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if name in {None, s.name}]

    def span(self, name: str) -> ReadableSpan:
        [span] = self.spans(name)
        return span

    def points(self, metric: str) -> list[tuple[dict[str, Any], Any]]:
        """Each data point of ``metric``: its attributes, and its value (or the point)."""
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for each in scope.metrics:
                    if each.name == metric:
                        for point in each.data.data_points:
                            value = getattr(point, "value", point)
                            found.append((dict(point.attributes or {}), value))
        return found

    def total(self, metric: str, **labels: Any) -> float:
        return sum(
            float(value)
            for attributes, value in self.points(metric)
            if all(attributes.get(k) == v for k, v in labels.items())
        )


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


@pytest.fixture
async def observed(make_store: Callable[..., Any], telemetry: Telemetry) -> EventStore:
    """A store on the test's table that reports to ``telemetry``."""
    store: EventStore = await make_store(**telemetry.options)
    return store


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def every_attribute(spans: list[ReadableSpan]) -> list[str]:
    """Every attribute value of the spans and their events, as text."""
    values: list[str] = []
    for span in spans:
        values += [str(v) for v in (span.attributes or {}).values()]
        for event in span.events:
            values += [str(v) for v in (event.attributes or {}).values()]
    return values


async def test_an_append_is_one_client_span_under_the_callers(
    observed: EventStore, telemetry: Telemetry
) -> None:
    tracer = telemetry.tracer_provider.get_tracer("service")
    with tracer.start_as_current_span("POST /orders") as request:
        await observed.append("order-1", 0, [{"note": PAYLOAD}])
    span = telemetry.span("append")
    assert span.kind is SpanKind.CLIENT
    assert span.parent is not None
    assert span.parent.span_id == request.get_span_context().span_id
    attributes = dict(span.attributes or {})
    assert attributes["db.system.name"] == "aws.dynamodb"
    assert attributes["db.operation.name"] == "append"
    assert attributes["db.collection.name"] == observed.table_name
    assert attributes["cloud.region"] == "us-east-1"
    assert span.status.status_code is StatusCode.UNSET
    assert "aio_eventstore.aggregate_id" not in attributes
    assert not any("order-1" in v or PAYLOAD in v for v in every_attribute(telemetry.spans()))
    assert telemetry.total("aio_eventstore.commits.written", **{"db.operation.name": "append"}) == 1
    [(labels, histogram)] = telemetry.points("aio_eventstore.operation.duration")
    assert labels == {"db.operation.name": "append", "outcome": "ok"}
    assert histogram.count == 1


async def test_aggregate_ids_are_traced_only_when_asked(
    make_store: Callable[..., Any], telemetry: Telemetry
) -> None:
    store = await make_store(**telemetry.options, trace_aggregate_ids=True)
    await store.append("order-1", 0, [PAYLOAD])
    await store.query("order-1")
    for name in ("append", "query"):
        assert attrs(telemetry.span(name))["aio_eventstore.aggregate_id"] == "order-1"
    assert not any(PAYLOAD in v for v in every_attribute(telemetry.spans()))


async def test_reads_are_spans_with_the_commits_they_returned(
    observed: EventStore, telemetry: Telemetry
) -> None:
    for version in range(3):
        await observed.append("order-1", version, [version])
    assert len(await observed.query("order-1")) == 3
    assert (await observed.latest("order-1")) is not None
    assert attrs(telemetry.span("query"))["db.response.returned_rows"] == 3
    assert attrs(telemetry.span("latest"))["db.response.returned_rows"] == 1
    assert telemetry.total("aio_eventstore.commits.read") == 4


async def test_each_page_of_a_scan_is_a_span(observed: EventStore, telemetry: Telemetry) -> None:
    for n in range(5):
        await observed.append(f"order-{n}", 0, [n])
    tracer = telemetry.tracer_provider.get_tracer("projector")
    with tracer.start_as_current_span("rebuild") as rebuild:
        commits = [commit async for commit in observed.scan(page_size=2)]
    assert len(commits) == 5
    pages = telemetry.spans("scan page")
    # Pages of 2, 2, 1 and an empty last one where DynamoDB cannot tell it ends (moto).
    assert sum(attrs(p)["db.response.returned_rows"] for p in pages) == 5
    assert len(pages) in {3, 4}
    assert {p.parent.span_id for p in pages if p.parent} == {rebuild.get_span_context().span_id}


async def test_a_conflict_sets_the_status_and_counts(
    observed: EventStore, telemetry: Telemetry
) -> None:
    await observed.append("order-1", 0, [0])
    with pytest.raises(VersionConflictError):
        await observed.append("order-1", 0, [1])
    failed = telemetry.spans("append")[-1]
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "VersionConflictError"
    assert attrs(failed)["error.type"] == "VersionConflictError"
    assert telemetry.total("aio_eventstore.conflicts") == 1
    outcomes = {
        labels["outcome"] for labels, _ in telemetry.points("aio_eventstore.operation.duration")
    }
    assert outcomes == {"ok", "VersionConflictError"}


async def test_retries_under_throttling_are_events_of_the_span(
    make_store: Callable[..., Any], proxy: FaultProxy, telemetry: Telemetry
) -> None:
    store = await make_store(endpoint_url=proxy.url, **telemetry.options)
    proxy.add("error", operation="PutItem", times=2)  # throttled twice, then through
    await store.append("order-1", 0, [0])
    span = telemetry.span("append")
    retries = [event for event in span.events if event.name == "retry"]
    assert len(retries) == 2
    for attempt, event in enumerate(retries, start=1):
        attributes: dict[str, Any] = dict(event.attributes or {})
        assert attributes["aws.dynamodb.error_code"] == "ProvisionedThroughputExceededException"
        assert attributes["error.type"] == "ThrottledError"
        assert attributes["aio_eventstore.attempt"] == attempt
        assert attributes["aio_eventstore.backoff_s"] >= 0
    assert span.status.status_code is StatusCode.UNSET
    reason = {"reason": "ProvisionedThroughputExceededException", "db.operation.name": "append"}
    assert telemetry.total("aio_eventstore.retries", **reason) == 2


async def test_throttling_that_outlasts_the_retries_fails_the_span(
    make_store: Callable[..., Any], proxy: FaultProxy, telemetry: Telemetry
) -> None:
    store = await make_store(endpoint_url=proxy.url, config=_quick_retries(), **telemetry.options)
    proxy.add("error", operation="Query")
    with pytest.raises(ThrottledError):
        await store.query("order-1")
    span = telemetry.span("query")
    assert span.status.description == "ThrottledError"
    assert len([event for event in span.events if event.name == "retry"]) == 1


def _quick_retries() -> Any:
    from botocore.config import Config  # noqa: PLC0415

    return Config(retries={"total_max_attempts": 2})


async def test_consumed_capacity_is_recorded(
    make_store: Callable[..., Any], telemetry: Telemetry
) -> None:
    store = await make_store(**telemetry.options, consumed_capacity=True)
    await store.append("order-1", 0, ["x" * 3000])
    await store.query("order-1")
    written = attrs(telemetry.span("append"))
    assert written["aio_eventstore.capacity.write_units"] >= 1
    [entry] = written["aws.dynamodb.consumed_capacity"]
    assert json.loads(entry)["TableName"] == store.table_name
    read = attrs(telemetry.span("query"))
    assert read["aio_eventstore.capacity.read_units"] > 0
    assert telemetry.total("aio_eventstore.capacity.write") >= 1
    assert telemetry.total("aio_eventstore.capacity.read") > 0


async def test_without_consumed_capacity_none_is_asked_for(
    observed: EventStore, telemetry: Telemetry
) -> None:
    await observed.append("order-1", 0, [0])
    assert "aws.dynamodb.consumed_capacity" not in attrs(telemetry.span("append"))
    assert telemetry.points("aio_eventstore.capacity.write") == []


async def test_transact_holds_its_reads_and_append(
    make_store: Callable[..., Any], telemetry: Telemetry
) -> None:
    store = await make_store(**telemetry.options)
    await store.append("counter", 0, [1])

    def decide(total: int) -> list[int]:
        return [total + 1]

    state, commit = await store.transact(
        "counter", decide, evolve=lambda total, event: total + event, initial=0
    )
    assert (state, commit is not None) == (3, True)
    transact = telemetry.span("transact")
    children = [
        s for s in telemetry.spans() if s.parent and s.parent.span_id == transact.context.span_id
    ]
    assert {s.name for s in children} >= {"append"}
    assert attrs(transact)["db.operation.name"] == "transact"


@on_servers_with_transactions
async def test_append_many_is_one_span(observed: EventStore, telemetry: Telemetry) -> None:
    await observed.append_many([("a", 0, [0]), ("b", 0, [0]), ("c", 0, [0])])
    assert telemetry.span("append_many").status.status_code is StatusCode.UNSET
    labels = {"db.operation.name": "append_many"}
    assert telemetry.total("aio_eventstore.commits.written", **labels) == 3


async def test_a_subscription_reports_polls_and_its_lag(
    make_store: Callable[..., Any], telemetry: Telemetry
) -> None:
    clock = Clock()
    store = await make_store(**telemetry.options, clock=clock)
    await store.append("order-1", 0, [0])
    clock.now += 60_000
    commits = store.subscribe(settle=0, poll_interval=0.05, name="orders-projector")
    async with aclosing(commits):
        await anext(commits)
        [(labels, lag)] = telemetry.points("aio_eventstore.consumer.lag")
    assert labels == {"aio_eventstore.consumer": "orders-projector"}
    assert lag > 60  # the commit was stamped at the clock's T0, long ago by the wall clock
    assert telemetry.spans("subscription poll")
    assert telemetry.points("aio_eventstore.consumer.lag") == []  # stopped: no longer reported


async def test_a_checkpoint_save_is_a_span(observed: EventStore, telemetry: Telemetry) -> None:
    commit = await observed.append("order-1", 0, [0])
    assert await observed.checkpoint("projector").save(commit.position)
    assert telemetry.span("checkpoint save").status.status_code is StatusCode.UNSET


async def test_a_group_member_reports_renewals_and_partitions(
    make_store: Callable[..., Any], telemetry: Telemetry
) -> None:
    store = await make_store(**telemetry.options)
    await store.append("order-1", 0, [0])
    commits = store.consume(
        "projector",
        partitions=4,
        lease_seconds=0.6,
        poll_interval=0.05,
        settle=0,
        checkpoint_interval=0.05,
        member="m1",
    )
    async with aclosing(commits):
        await anext(commits)
        await asyncio.sleep(0.5)  # past a renewal (each third of a lease) and a save
        [(labels, held)] = telemetry.points("aio_eventstore.group.partitions")
    assert labels == {"aio_eventstore.group": "projector", "aio_eventstore.member": "m1"}
    assert held == 4
    assert telemetry.spans("lease renewal")
    assert telemetry.spans("subscription poll")
    assert telemetry.points("aio_eventstore.group.partitions") == []  # it left


def run_without_opentelemetry(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python that cannot import OpenTelemetry, as without the extra."""
    blocked = "import sys; sys.modules['opentelemetry'] = None\n"
    return subprocess.run(  # noqa: S603 - the test's own code
        [sys.executable, "-c", blocked + code], capture_output=True, text=True, check=False
    )


def test_without_opentelemetry_nothing_of_it_is_imported() -> None:
    run = run_without_opentelemetry(
        "import sys\n"
        "from aio_eventstore import EventStore\n"
        "EventStore(region_name='us-east-1')\n"
        "assert not [m for m in sys.modules if m.startswith('opentelemetry') and sys.modules[m]]\n"
        "print('ok')\n"
    )
    assert run.stdout.strip() == "ok", run.stderr


def test_importing_the_package_imports_no_opentelemetry() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, aio_eventstore; print([m for m in sys.modules if 'opentelemetry' in m])",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.stdout.strip() == "[]", run.stderr


def test_without_opentelemetry_its_settings_are_refused() -> None:
    run = run_without_opentelemetry(
        "from aio_eventstore import EventStore, InvalidArgumentError\n"
        "for option in ('tracer_provider', 'meter_provider', 'consumed_capacity'):\n"
        "    try:\n"
        "        EventStore(**{option: True})\n"
        "    except InvalidArgumentError as error:\n"
        "        print(error)\n"
    )
    lines = run.stdout.splitlines()
    assert len(lines) == 3, run.stderr
    assert all("pip install 'aio-eventstore[otel]'" in line for line in lines)


@pytest.mark.parametrize("option", ["trace_aggregate_ids", "consumed_capacity"])
def test_telemetry_switches_must_be_bools(option: str) -> None:
    from aio_eventstore import InvalidArgumentError  # noqa: PLC0415

    with pytest.raises(InvalidArgumentError, match=option):
        EventStore(**{option: "yes"})  # type: ignore[arg-type]


async def test_the_command_prints_its_spans_with_trace(cli: Cli, store: EventStore) -> None:  # noqa: F811
    await store.append("agg-A", 0, [PAYLOAD])
    run = await cli("--trace", "latest", "agg-A")
    assert run.status == Exit.OK, run.stderr
    [commit] = run.records  # stdout keeps its JSON lines; the spans go to stderr
    assert commit["events"] == [PAYLOAD]
    assert '"name": "latest"' in run.stderr
    assert '"aio_eventstore.capacity.read_units"' in run.stderr
    assert PAYLOAD not in run.stderr


async def test_a_caller_that_stops_early_is_no_failure(
    make_store: Callable[..., Any], proxy: FaultProxy, telemetry: Telemetry
) -> None:
    store = await make_store(endpoint_url=proxy.url, **telemetry.options)
    proxy.add("delay", operation="Query", seconds=5.0)  # the poll is under way when cancelled
    commits = store.subscribe(settle=0, poll_interval=10)
    task = asyncio.ensure_future(anext(commits))
    await proxy.seen("Query", 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await commits.aclose()
    [poll] = telemetry.spans("subscription poll")
    assert poll.status.status_code is StatusCode.UNSET
    [(labels, _)] = telemetry.points("aio_eventstore.operation.duration")
    assert labels == {"db.operation.name": "subscription poll", "outcome": "cancelled"}


async def test_a_transact_that_gives_up_counts_one_conflict_per_append(
    observed: EventStore, telemetry: Telemetry
) -> None:
    await observed.append("counter", 0, [1])

    async def decide(_: int) -> list[int]:
        # Another writer takes each next version first.
        latest = await observed.latest("counter")
        assert latest is not None
        await observed.append("counter", latest.version + 1, [1])
        return [1]

    with pytest.raises(VersionConflictError):
        await observed.transact(
            "counter", decide, evolve=lambda a, b: a + b, initial=0, max_attempts=2
        )
    assert telemetry.total("aio_eventstore.conflicts") == 2  # the two appends, not transact
    assert telemetry.span("transact").status.description == "VersionConflictError"


# docs/observability.md: docs/examples/observability.py, a service whose store reports.


def children_of(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> list[ReadableSpan]:
    """The spans whose parent is ``span``, in the order they ended."""
    return [s for s in spans if s.parent is not None and s.parent.span_id == span.context.span_id]


async def test_the_observability_example_reports_its_stores_spans_and_metrics(
    backend: Backend, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_the_examples_at(backend, table_name, monkeypatch)
    monkeypatch.setenv("AIO_EVENTSTORE_CREATE_TABLE", "1")
    monkeypatch.setenv("AIO_EVENTSTORE_SETTLE", "0.1")  # one writer, on this machine's clock
    monkeypatch.setenv("AIO_EVENTSTORE_POLL_INTERVAL", "0.05")
    example = load_example("observability")
    spans, metrics = InMemorySpanExporter(), InMemoryMetricReader()
    tracer_provider, meter_provider = example.providers(spans, metrics)
    app = example.create_app(example.Settings.from_environment(), tracer_provider, meter_provider)
    runner = web.AppRunner(app)
    await runner.setup()  # opens the store, creates the table, starts the projector
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        async with aiohttp.ClientSession(f"http://127.0.0.1:{runner.addresses[0][1]}") as http:
            for total in (1, 2):
                async with http.post("/counters/visits") as response:
                    assert (response.status, await response.json()) == (200, {"total": total})

            async def counted() -> None:
                while True:
                    async with http.get("/counters") as response:
                        if (await response.json()).get("visits") == 2:
                            return
                    await asyncio.sleep(0.05)

            await asyncio.wait_for(counted(), timeout=30)
        data = metrics.get_metrics_data()
        assert data is not None
        lags = [
            dict(point.attributes or {})
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == "aio_eventstore.consumer.lag"
            for point in metric.data.data_points
        ]
        assert lags == [{"aio_eventstore.consumer": "totals-projector"}]
    finally:
        await runner.cleanup()  # stops the projector, closes the store
        await delete_table(backend, table_name)
        tracer_provider.shutdown()  # exports what the batch processor still holds
        meter_provider.shutdown()
    finished = spans.get_finished_spans()
    requests = [s for s in finished if s.name == "POST /counters/{counter_id}"]
    assert len(requests) == 2
    for request in requests:
        [transact] = children_of(request, finished)
        assert transact.name == "transact"
        query, append = children_of(transact, finished)
        assert (query.name, append.name) == ("query", "append")
        units = dict(append.attributes or {})["aio_eventstore.capacity.write_units"]
        assert isinstance(units, float)
        assert units > 0
    assert any(s.name == "subscription poll" for s in finished)
