"""OpenTelemetry traces and metrics of the store's operations, when ``opentelemetry-api`` is there.

The store reports its own calls: the direct transport does not pass through botocore, so
botocore's instrumentation cannot see them. Each store operation (an append, a query, a
page of a scan, a poll of a subscription, a checkpoint save, a lease renewal, ...) is one
span, a child of the caller's current span, with the attributes of OpenTelemetry's semantic
conventions for databases and AWS DynamoDB, and one measurement of its duration. Retries
are events of the span they delay; a failure sets its status to the typed error's name.

Without ``opentelemetry-api`` installed, :data:`NO_TELEMETRY` stands in: nothing is
imported, and each operation costs a call to an empty context manager. Payloads never go
into telemetry; aggregate ids only when asked for (``trace_aggregate_ids``), since they
often name people.

The instruments (all prefixed ``aio_eventstore.``):

- ``operation.duration``: histogram of seconds, by ``db.operation.name`` and ``outcome``
  (``ok`` or the typed error's name);
- ``conflicts``: version conflicts, by operation;
- ``retries``: requests retried, by ``reason`` (the error code) and operation;
- ``commits.written``, ``commits.read``: commits, by operation;
- ``consumer.lag``: gauge, the age in seconds of the last commit delivered, by
  ``aio_eventstore.consumer`` (a subscription's name or a group's);
- ``group.partitions``: gauge, the partitions each member of a group holds;
- ``capacity.read``, ``capacity.write``: capacity units consumed, by operation, with
  ``consumed_capacity=True``.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import aclosing
from contextvars import ContextVar
from importlib import metadata
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidArgumentError, VersionConflictError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Iterator
    from types import TracebackType

    from opentelemetry.metrics import CallbackOptions, Observation
    from typing_extensions import Self

    from ._commit import Commit
    from ._exceptions import EventStoreError
    from ._transport import Answer, Request, Transport

__all__ = ["NO_TELEMETRY", "NoTelemetry", "Telemetry", "reporting_lag", "telemetry"]

_NAME = "aio_eventstore"
_READS = frozenset({"GetItem", "Query"})
# Where a version conflict comes from (a transact that gives up passes one on: counted once).
_WRITES = frozenset({"append", "append_many", "import_commit"})
# Seconds, from a fast append to a slow page or a long transact.
_DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _NoOperation:
    """What an operation records when nothing is recorded."""

    __slots__ = ()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def read(self, commits: int) -> None:
        """``commits`` commits were read."""

    def written(self, commits: int) -> None:
        """``commits`` commits were written."""


_NO_OPERATION = _NoOperation()


async def reporting_lag(
    telemetry: Telemetry | NoTelemetry, consumer: str, commits: AsyncGenerator[Commit, None]
) -> AsyncGenerator[Commit, None]:
    """``commits``, each reported as delivered by ``consumer`` (its lag), until it stops."""
    try:
        async with aclosing(commits):
            async for commit in commits:
                telemetry.delivered(consumer, commit.committed_at)
                yield commit
    finally:
        telemetry.stopped(consumer)


class NoTelemetry:
    """The store's telemetry when OpenTelemetry is not installed: nothing, at no cost."""

    enabled = False

    def operation(self, name: str, aggregate_id: str | None = None) -> _NoOperation:  # noqa: ARG002
        """A context manager around one store operation."""
        return _NO_OPERATION

    def transport(self, transport: Transport, name: str | None = None) -> Transport:  # noqa: ARG002
        """``transport``, with every call one operation ``name`` (or none) and its capacity."""
        return transport

    def retried(self, operation: str, attempt: int, error: EventStoreError, delay: float) -> None:
        """A request is retried after ``delay`` seconds."""

    def connected(self, region: str | None) -> None:
        """The store opened its client, in ``region``."""

    def delivered(self, consumer: str, committed_at: int) -> None:
        """``consumer`` delivered a commit written at ``committed_at`` (epoch ms)."""

    def stopped(self, consumer: str) -> None:
        """``consumer`` stopped: its lag is no longer reported."""

    def holds(self, group: str, member: str, partitions: int | None) -> None:
        """``member`` of ``group`` holds ``partitions`` partitions (``None``: it left)."""


NO_TELEMETRY = NoTelemetry()


def telemetry(
    table_name: str,
    *,
    tracer_provider: Any,  # noqa: ANN401 - an opentelemetry TracerProvider, if installed
    meter_provider: Any,  # noqa: ANN401 - an opentelemetry MeterProvider, if installed
    trace_aggregate_ids: bool,
    consumed_capacity: bool,
) -> Telemetry | NoTelemetry:
    """The store's telemetry: OpenTelemetry's if its API is installed, else none."""
    for name, value in (
        ("trace_aggregate_ids", trace_aggregate_ids),
        ("consumed_capacity", consumed_capacity),
    ):
        if not isinstance(value, bool):
            raise InvalidArgumentError(f"{name} must be a bool, not {value!r}")
    try:
        from opentelemetry import metrics, trace  # noqa: PLC0415, F401 - optional
    except ImportError:
        wanted = [
            name
            for name, value in (
                ("tracer_provider", tracer_provider),
                ("meter_provider", meter_provider),
                ("consumed_capacity", consumed_capacity),
            )
            if value
        ]
        if wanted:
            raise InvalidArgumentError(
                f"{', '.join(wanted)} needs OpenTelemetry: pip install 'aio-eventstore[otel]'"
            ) from None
        return NO_TELEMETRY
    return Telemetry(
        table_name,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        trace_aggregate_ids=trace_aggregate_ids,
        consumed_capacity=consumed_capacity,
    )


class Telemetry:
    """Spans and metrics of the store's operations, through OpenTelemetry's API."""

    enabled = True

    def __init__(
        self,
        table_name: str,
        *,
        tracer_provider: Any,  # noqa: ANN401 - opentelemetry's, or None for the global one
        meter_provider: Any,  # noqa: ANN401 - the same
        trace_aggregate_ids: bool,
        consumed_capacity: bool,
    ) -> None:
        from opentelemetry import context, metrics, trace  # noqa: PLC0415 - optional
        from opentelemetry.metrics import Observation  # noqa: PLC0415

        # Kept here, so that each operation finds them without an import statement.
        self._trace, self._context, self._observation = trace, context, Observation
        try:
            version = metadata.version("aio-eventstore")
        except metadata.PackageNotFoundError:  # a source tree
            version = "0"
        self._tracer = trace.get_tracer(_NAME, version, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_NAME, version, meter_provider=meter_provider)
        self.trace_aggregate_ids = trace_aggregate_ids
        self.consumed_capacity = consumed_capacity
        self.table_name = table_name
        # Few: the SDK checks each attribute of each span, about 3 µs apiece (a tuple more),
        # against about 600 µs of an append. The table name once, then, not again as the
        # tuple aws.dynamodb.table_names; no server.address.
        self.attributes: dict[str, Any] = {
            "db.system.name": "aws.dynamodb",
            "db.collection.name": table_name,
        }
        self._spans: dict[str, dict[str, Any]] = {}  # each operation's span attributes
        self._labels: dict[str, dict[str, str]] = {}  # and its metrics'

        self._duration = meter.create_histogram(
            f"{_NAME}.operation.duration",
            unit="s",
            description="Store operations' duration",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._conflicts = meter.create_counter(
            f"{_NAME}.conflicts", unit="{conflict}", description="Version conflicts"
        )
        self._retries = meter.create_counter(
            f"{_NAME}.retries", unit="{retry}", description="Requests retried, by reason"
        )
        self._written = meter.create_counter(
            f"{_NAME}.commits.written", unit="{commit}", description="Commits written"
        )
        self._read = meter.create_counter(
            f"{_NAME}.commits.read", unit="{commit}", description="Commits read"
        )
        self._capacity = {
            kind: meter.create_counter(
                f"{_NAME}.capacity.{kind}", unit="{capacity_unit}", description=f"{kind} units"
            )
            for kind in ("read", "write")
        }
        self._delivered: dict[str, int] = {}
        self._held: dict[tuple[str, str], int] = {}
        meter.create_observable_gauge(
            f"{_NAME}.consumer.lag",
            [self._lags],
            unit="s",
            description="Age of the last commit a subscription or group member delivered",
        )
        meter.create_observable_gauge(
            f"{_NAME}.group.partitions",
            [self._partitions],
            unit="{partition}",
            description="Partitions each member of a consumer group holds",
        )

    def operation(self, name: str, aggregate_id: str | None = None) -> _Operation:
        """A context manager around one store operation: its span and its duration."""
        return _Operation(self, name, aggregate_id)

    def transport(self, transport: Transport, name: str | None = None) -> Transport:
        """``transport``, each call of which is an operation ``name``, or counts capacity.

        Named, each call is an operation of its own. Unnamed, with ``consumed_capacity``, it
        asks DynamoDB for the capacity each request consumed, for the current operation.

        The store wraps its transport once without a name, and a scan's or subscription's
        with one, so that each page is an operation.
        """
        if name is not None:
            return _NamedTransport(self, transport, name)
        if self.consumed_capacity:
            return _CapacityTransport(transport)
        return transport

    def retried(self, operation: str, attempt: int, error: EventStoreError, delay: float) -> None:
        """Record a retry: an event of the operation's span, and the retries counter."""
        reason = error.code or type(error).__name__
        current = _current.get()
        if current is None:  # a request outside any operation (a lease read): counted only
            self._retries.add(1, {"reason": reason, "db.operation.name": ""})
            return
        current.span.add_event(
            "retry",
            {
                "rpc.method": operation,
                "error.type": type(error).__name__,
                "aws.dynamodb.error_code": reason,
                "aio_eventstore.attempt": attempt,
                "aio_eventstore.backoff_s": delay,
            },
        )
        self._retries.add(1, {"reason": reason, "db.operation.name": current.name})

    def connected(self, region: str | None) -> None:
        """Add the region to every span's attributes."""
        if region is not None:
            self.attributes["cloud.region"] = region
        self._spans.clear()

    def span_attributes(self, operation: str) -> dict[str, Any]:
        """The attributes of every span of ``operation``, made once."""
        found = self._spans.get(operation)
        if found is None:
            found = self._spans[operation] = {**self.attributes, "db.operation.name": operation}
        return found

    def labels(self, operation: str, outcome: str | None = None) -> dict[str, str]:
        """The attributes of ``operation``'s measurements (with ``outcome``), made once."""
        key = operation if outcome is None else f"{operation}\0{outcome}"
        found = self._labels.get(key)
        if found is None:
            found = {"db.operation.name": operation}
            if outcome is not None:
                found["outcome"] = outcome
            self._labels[key] = found
        return found

    def delivered(self, consumer: str, committed_at: int) -> None:
        """Remember the commit ``consumer`` delivered last, for its lag."""
        self._delivered[consumer] = committed_at

    def stopped(self, consumer: str) -> None:
        """Stop reporting ``consumer``'s lag."""
        self._delivered.pop(consumer, None)

    def holds(self, group: str, member: str, partitions: int | None) -> None:
        """Remember how many partitions ``member`` of ``group`` holds; ``None``: it left."""
        if partitions is None:
            self._held.pop((group, member), None)
        else:
            self._held[group, member] = partitions

    def _lags(self, _: CallbackOptions) -> Iterator[Observation]:
        now = time.time() * 1000
        for consumer, committed_at in list(self._delivered.items()):
            lag = max(0.0, (now - committed_at) / 1000)
            yield self._observation(lag, {"aio_eventstore.consumer": consumer})

    def _partitions(self, _: CallbackOptions) -> Iterator[Observation]:
        for (group, member), count in list(self._held.items()):
            labels = {"aio_eventstore.group": group, "aio_eventstore.member": member}
            yield self._observation(count, labels)


# How a caller stops an operation: cancelled, or leaving an async for early.
_STOPPED = (asyncio.CancelledError, GeneratorExit)

_current: ContextVar[_Operation | None] = ContextVar("aio_eventstore_operation", default=None)


class _Operation:
    """One store operation under way: its span, made current, and what it measured."""

    __slots__ = (
        "_capacity",
        "_context_token",
        "_operation_token",
        "_read",
        "_started",
        "_telemetry",
        "_written",
        "aggregate_id",
        "name",
        "span",
    )

    def __init__(self, telemetry: Telemetry, name: str, aggregate_id: str | None) -> None:
        self._telemetry = telemetry
        self.name = name
        self.aggregate_id = aggregate_id
        self._read = self._written = 0
        self._capacity: list[dict[str, Any]] = []

    def __enter__(self) -> Self:
        telemetry = self._telemetry
        trace = telemetry._trace  # noqa: SLF001 - this module's own
        attributes = telemetry.span_attributes(self.name)
        if telemetry.trace_aggregate_ids and self.aggregate_id is not None:
            attributes = {**attributes, "aio_eventstore.aggregate_id": self.aggregate_id}
        self.span = telemetry._tracer.start_span(  # noqa: SLF001
            self.name, kind=trace.SpanKind.CLIENT, attributes=attributes
        )
        self._context_token = telemetry._context.attach(  # noqa: SLF001
            trace.set_span_in_context(self.span)
        )
        self._operation_token = _current.set(self)
        self._started = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        duration = time.perf_counter() - self._started
        telemetry, span, name = self._telemetry, self.span, self.name
        _current.reset(self._operation_token)
        telemetry._context.detach(self._context_token)  # noqa: SLF001
        labels = telemetry.labels(name)
        if self._read:
            span.set_attribute("db.response.returned_rows", self._read)
            telemetry._read.add(self._read, labels)  # noqa: SLF001
        if self._written:
            telemetry._written.add(self._written, labels)  # noqa: SLF001
        if self._capacity:
            self._record_capacity(span, labels)
        outcome = "ok"
        if exc_type is not None and issubclass(exc_type, _STOPPED):
            outcome = "cancelled"  # the caller stopped: no failure
        elif exc_type is not None:
            outcome = exc_type.__name__
            # The type only: a message may name an aggregate.
            span.set_attribute("error.type", outcome)
            span.set_status(telemetry._trace.Status(telemetry._trace.StatusCode.ERROR, outcome))  # noqa: SLF001
            if isinstance(exc, VersionConflictError) and name in _WRITES:
                telemetry._conflicts.add(1, labels)  # noqa: SLF001
        span.end()
        telemetry._duration.record(duration, telemetry.labels(name, outcome))  # noqa: SLF001

    def read(self, commits: int) -> None:
        """``commits`` commits were read."""
        self._read += commits

    def written(self, commits: int) -> None:
        """``commits`` commits were written."""
        self._written += commits

    def consumed(self, operation: str, capacity: Any) -> None:  # noqa: ANN401 - DynamoDB's JSON
        """A request of this operation consumed ``capacity`` (DynamoDB's ConsumedCapacity)."""
        entries = capacity if isinstance(capacity, list) else [capacity]
        for entry in entries:
            if isinstance(entry, dict):
                self._capacity.append({**entry, "Operation": operation})

    def _record_capacity(self, span: Any, labels: dict[str, str]) -> None:  # noqa: ANN401
        units = {"read": 0.0, "write": 0.0}
        for entry in self._capacity:
            kind = "read" if entry["Operation"] in _READS else "write"
            units[kind] += float(entry.get("CapacityUnits", 0.0))
        span.set_attribute(
            "aws.dynamodb.consumed_capacity",
            [json.dumps({k: v for k, v in e.items() if k != "Operation"}) for e in self._capacity],
        )
        for kind, value in units.items():
            span.set_attribute(f"aio_eventstore.capacity.{kind}_units", value)
            if value:
                self._telemetry._capacity[kind].add(value, labels)  # noqa: SLF001


class _NamedTransport:
    """A transport each call of which is a store operation of its own (a page of a scan)."""

    def __init__(self, telemetry: Telemetry, inner: Transport, name: str) -> None:
        self._telemetry = telemetry
        self._inner = inner
        self._name = name

    async def call(self, operation: str, request: Request | Callable[[], Request]) -> Answer:
        """Send through the inner transport, in a span of its own."""
        with self._telemetry.operation(self._name) as observed:
            answer = await self._inner.call(operation, request)
            observed.read(len(answer.get("Items", ())))
            return answer

    async def close(self) -> None:
        """Close the inner transport."""
        await self._inner.close()


class _CapacityTransport:
    """A transport that asks for the capacity each request consumes, for the operation."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner

    async def call(self, operation: str, request: Request | Callable[[], Request]) -> Answer:
        """Send with ``ReturnConsumedCapacity``; add what it consumed to the operation."""
        build = request if callable(request) else (lambda: request)
        answer = await self._inner.call(
            operation, lambda: {**build(), "ReturnConsumedCapacity": "TOTAL"}
        )
        current = _current.get()
        capacity = answer.get("ConsumedCapacity")
        if current is not None and capacity is not None:
            current.consumed(operation, capacity)
        return answer

    async def close(self) -> None:
        """Close the inner transport."""
        await self._inner.close()
