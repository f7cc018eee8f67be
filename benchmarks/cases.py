"""The cases of issue 5: each measures one contender in one round."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from benchmarks.contender import BOTO3, RAW, RAW_TUNED, STORE, AppendWork
from benchmarks.latency import LatencyProbe
from benchmarks.pipelining import PipeliningProbe
from benchmarks.rss import scan_memory
from benchmarks.workload import T0, timestamp

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from benchmarks.contender import ReadWork, Sample
    from benchmarks.testbed import Testbed

Metrics = dict[str, float]
Kind = Literal["append", "read", "latency", "pipelining", "rss"]


@dataclass(frozen=True, slots=True)
class Case:
    """One case: what it measures, of which contenders, and how.

    ``measure(contender, round)`` returns the metrics of one sample.
    """

    name: str
    title: str
    kind: Kind
    contenders: tuple[str, ...]
    measure: Callable[[str, int], Awaitable[Metrics]]


def build_cases(bed: Testbed) -> list[Case]:
    """Every case, in the order each round runs them."""
    everyone = tuple(bed.contenders)
    python = (STORE, RAW, RAW_TUNED, BOTO3)
    sizes = bed.sizes
    one_page = f"{sizes.one_page_commits:,} commits (< 1 MB)"
    cases = [_append_case(bed, concurrency, count) for concurrency, count in sizes.appends.items()]
    cases += [
        _read_case(
            bed, "query", f"query, 1 aggregate of {sizes.query_commits:,}", python, bed.query
        ),
        _read_case(bed, "scan", f"scan, {sizes.scan_commits:,} commits", python, bed.scan),
        _read_case(bed, "query-one-page", f"query, {one_page}", everyone, bed.one_page_query),
        _read_case(bed, "scan-one-page", f"scan, {one_page}", everyone, bed.one_page_scan),
        _latency_case(bed),
        _pipelining_case(bed, awaiting=True),
        _pipelining_case(bed, awaiting=False),
        _rss_case(bed),
    ]
    return cases


def _append_case(bed: Testbed, concurrency: int, count: int) -> Case:
    async def measure(contender: str, round_: int) -> Metrics:
        work = AppendWork(f"{_slug(contender)}-c{concurrency}-r{round_}", count, concurrency)
        sample = await bed.contenders[contender].append(work)
        _check(sample, count, contender)
        return _metrics(sample, sample.requests / count)

    name, title = f"append-{concurrency}", f"append, {concurrency} in flight"
    return Case(name, title, "append", tuple(bed.contenders), measure)


def _read_case(
    bed: Testbed, name: str, title: str, contenders: tuple[str, ...], work: ReadWork
) -> Case:
    async def measure(contender: str, _: int) -> Metrics:
        sample = await bed.contenders[contender].read(work)
        _check(sample, work.commits * work.repeat, contender)
        return _metrics(sample, sample.requests / (work.pages * work.repeat))

    return Case(name, title, "read", contenders, measure)


def _latency_case(bed: Testbed) -> Case:
    probe = LatencyProbe(bed.writer, bed.subscriber)

    async def measure(_: str, round_: int) -> Metrics:
        return await probe.measure(f"latency-r{round_}", bed.sizes.latency_samples)

    title = "subscribe, append to delivery (settle=0)"
    return Case("subscribe", title, "latency", (STORE,), measure)


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
    return Case(f"pipelining-{consumer}", title, "pipelining", (STORE, RAW), measure)


def _rss_case(bed: Testbed) -> Case:
    commits = bed.sizes.scan_commits

    async def measure(contender: str, _: int) -> Metrics:
        return await scan_memory(bed.endpoint_url, bed.tables.scan, contender, commits)

    title = f"a full scan of {commits:,} commits"
    return Case("rss", title, "rss", (STORE, RAW), measure)


def _check(sample: Sample, expected: int, contender: str) -> None:
    if sample.ops != expected:
        raise RuntimeError(f"{contender} did {sample.ops} operations, not {expected}")


def _metrics(sample: Sample, requests_per_unit: float) -> Metrics:
    return {
        "throughput": sample.ops / sample.wall_s,
        "cpu_us": 1e6 * sample.cpu_s / sample.ops,
        "requests": requests_per_unit,
    }


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
