"""The cases of issues 5 and 10, transact, consumer groups, telemetry: one contender, one round."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from benchmarks.contender import (
    BOTO3,
    BY_HAND,
    FLOOR,
    JS,
    RAW,
    RAW_TUNED,
    STORE,
    STORE_BOTOCORE,
    SUBSCRIBE,
    TELEMETRY_OFF,
    TELEMETRY_ON,
    TRANSACT,
    AppendWork,
    group_of,
)
from benchmarks.deciding import DecidingProbe
from benchmarks.groups import GroupProbe
from benchmarks.latency import LatencyProbe, append_latency
from benchmarks.pipelining import PipeliningProbe
from benchmarks.rss import scan_memory
from benchmarks.workload import T0, timestamp

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from benchmarks.contender import ReadWork, Sample
    from benchmarks.telemetry import TelemetryProbe
    from benchmarks.testbed import Site, Testbed

Metrics = dict[str, float]
Kind = Literal["append", "read", "latency", "pipelining", "rss", "transact", "group", "telemetry"]
Unit = Literal["append", "commit", "query", "command", ""]

PYTHON = (STORE, STORE_BOTOCORE, FLOOR, RAW, RAW_TUNED, BOTO3)
"""The contenders timed in this process, in the order of round 1."""

APPENDERS = (STORE, STORE_BOTOCORE, FLOOR, RAW, RAW_TUNED)
"""Those whose appends can be timed one by one (boto3's run only inside its thread pool)."""

AGGREGATE_READERS = (STORE, STORE_BOTOCORE, FLOOR, RAW, RAW_TUNED, JS)
"""Those that load a small aggregate: every one but boto3, whose threads add only noise."""

SERVERS = {"dynalite": "dynalite", "moto": "moto's server"}
"""The servers the store-only cases run on, as the titles name them."""


@dataclass(frozen=True, slots=True)
class Case:
    """One case: what it measures, of which contenders, and how.

    ``measure(contender, round)`` returns the metrics of one sample; ``unit`` is what its
    throughput and CPU are counted per (none for latency, pipelining and memory).
    """

    name: str
    title: str
    kind: Kind
    unit: Unit
    contenders: tuple[str, ...]
    measure: Callable[[str, int], Awaitable[Metrics]]


def build_cases(bed: Testbed) -> list[Case]:
    """Every case, in the order each round runs them."""
    everyone = tuple(bed.contenders)
    sizes = bed.sizes
    one_page = f"{sizes.one_page_commits:,} commits (< 1 MB)"
    cases = [_append_case(bed, concurrency, count) for concurrency, count in sizes.appends.items()]
    cases += [
        _read_case(
            bed, "query", f"query, 1 aggregate of {sizes.query_commits:,}", PYTHON, bed.query
        ),
        _read_case(bed, "scan", f"scan, {sizes.scan_commits:,} commits", PYTHON, bed.scan),
        _read_case(bed, "query-one-page", f"query, {one_page}", everyone, bed.one_page_query),
        _read_case(bed, "scan-one-page", f"scan, {one_page}", everyone, bed.one_page_scan),
        _read_case(
            bed,
            "query-small",
            (
                f"query, 1 aggregate of {sizes.small_query_commits} commits, "
                f"{sizes.small_query_concurrency} in flight"
            ),
            AGGREGATE_READERS,
            bed.small_query,
            unit="query",
        ),
        _append_latency_case(bed),
        _subscribe_case(bed),
        _pipelining_case(bed, awaiting=True),
        _pipelining_case(bed, awaiting=False),
        _rss_case(bed),
    ]
    if bed.telemetry is not None:
        appends = sizes.telemetry_appends.items()
        cases += [_telemetry_case(bed.telemetry, *appending) for appending in appends]
    cases += [_transact_case(bed, site) for site in bed.sites.values()]
    cases += [_group_case(bed, site) for site in bed.sites.values()]
    return cases


def _append_case(bed: Testbed, concurrency: int, count: int) -> Case:
    async def measure(contender: str, round_: int) -> Metrics:
        work = AppendWork(f"{_slug(contender)}-c{concurrency}-r{round_}", count, concurrency)
        sample = await bed.contenders[contender].append(work)
        _check(sample, count, contender)
        return _metrics(sample, count, sample.requests / count)

    name, title = f"append-{concurrency}", f"append, {concurrency} in flight"
    return Case(name, title, "append", "append", tuple(bed.contenders), measure)


def _telemetry_case(probe: TelemetryProbe, concurrency: int, count: int) -> Case:
    async def measure(contender: str, round_: int) -> Metrics:
        work = AppendWork(f"{_slug(contender)}-c{concurrency}-r{round_}", count, concurrency)
        sample = await probe.append(contender, work)
        _check(sample, count, contender)
        return _metrics(sample, count, sample.requests / count)

    name, title = f"telemetry-{concurrency}", f"append, {concurrency} in flight"
    contenders = (TELEMETRY_OFF, TELEMETRY_ON)
    return Case(name, title, "telemetry", "append", contenders, measure)


def _read_case(
    bed: Testbed,
    name: str,
    title: str,
    contenders: tuple[str, ...],
    work: ReadWork,
    *,
    unit: Unit = "commit",
) -> Case:
    """Reads of ``work``, counted per commit read, or per ``query`` (a whole read)."""

    async def measure(contender: str, _: int) -> Metrics:
        sample = await bed.contenders[contender].read(work)
        _check(sample, work.commits * work.repeat, contender)
        units = work.repeat if unit == "query" else sample.ops
        return _metrics(sample, units, sample.requests / (work.pages * work.repeat))

    return Case(name, title, "read", unit, contenders, measure)


def _append_latency_case(bed: Testbed) -> Case:
    async def measure(contender: str, round_: int) -> Metrics:
        tag = f"latency-{_slug(contender)}-r{round_}"
        return await append_latency(bed.python[contender], tag, bed.sizes.append_latency_samples)

    title = "append, one at a time: its wall time"
    return Case("append-latency", title, "latency", "", APPENDERS, measure)


def _subscribe_case(bed: Testbed) -> Case:
    probe = LatencyProbe(bed.writer, bed.subscriber)

    async def measure(_: str, round_: int) -> Metrics:
        return await probe.measure(f"subscribe-r{round_}", bed.sizes.latency_samples)

    title = "subscribe, append to delivery (settle=0)"
    return Case("subscribe", title, "latency", "", (STORE,), measure)


def _pipelining_case(bed: Testbed, *, awaiting: bool) -> Case:
    sizes = bed.sizes
    first = sizes.scan_commits - sizes.pipeline_commits  # the seeded commit stamped T0 + first
    probe = PipeliningProbe(
        bed.store_contender, bed.raw, bed.tables.scan, timestamp(T0 + first), sizes.pipeline_commits
    )

    async def measure(contender: str, _: int) -> Metrics:
        return await probe.measure(contender, sizes.consumer_us, awaiting=awaiting)

    consumer = "awaiting" if awaiting else "busy"
    title = (
        f"scan of {sizes.pipeline_commits:,} commits, "
        f"consumer {consumer} {sizes.consumer_us} µs per commit"
    )
    return Case(f"pipelining-{consumer}", title, "pipelining", "", (STORE, RAW), measure)


def _rss_case(bed: Testbed) -> Case:
    commits = bed.sizes.scan_commits

    async def measure(contender: str, _: int) -> Metrics:
        return await scan_memory(bed.endpoint_url, bed.tables.scan, contender, commits)

    title = f"a full scan of {commits:,} commits"
    return Case("rss", title, "rss", "", (STORE, RAW), measure)


def _transact_case(bed: Testbed, site: Site) -> Case:
    sizes = bed.sizes
    probe = DecidingProbe(site.deciding, sizes.transact_commits, sizes.snapshot_every)

    async def measure(contender: str, round_: int) -> Metrics:
        sample = await probe.measure(contender, f"{_slug(contender)}-r{round_}")
        return _metrics(sample, sample.ops, sample.requests / sample.ops)

    title = (
        f"transact, 1 aggregate of {sizes.transact_commits:,} commits, "
        f"snapshot every {sizes.snapshot_every}, on {SERVERS[site.server]}"
    )
    contenders = (TRANSACT, BY_HAND)
    return Case(f"transact-{site.server}", title, "transact", "command", contenders, measure)


def _group_case(bed: Testbed, site: Site) -> Case:
    sizes = bed.sizes
    probe = GroupProbe(site, sizes.group_commits, sizes.group_partitions)
    groups = {group_of(members): members for members in sizes.group_members}

    async def measure(contender: str, round_: int) -> Metrics:
        if contender == SUBSCRIBE:
            return await probe.subscription()
        return await probe.group(groups[contender], f"bench-{_slug(contender)}-r{round_}")

    title = (
        f"consume, {sizes.group_commits:,} commits of {sizes.group_aggregates} aggregates, "
        f"{sizes.group_partitions} partitions, on {SERVERS[site.server]}"
    )
    contenders = (SUBSCRIBE, *groups)
    return Case(f"group-{site.server}", title, "group", "commit", contenders, measure)


def _check(sample: Sample, expected: int, contender: str) -> None:
    if sample.ops != expected:
        raise RuntimeError(f"{contender} did {sample.ops} operations, not {expected}")


def _metrics(sample: Sample, units: int, requests_per_unit: float) -> Metrics:
    return {
        "throughput": units / sample.wall_s,
        "cpu_us": 1e6 * sample.cpu_s / units,
        "requests": requests_per_unit,
    }


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
