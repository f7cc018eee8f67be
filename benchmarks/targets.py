"""The targets of issues 5 and 10, and telemetry's, checked against one run's medians.

Issue 5 set the store against raw aiobotocore and the JS library; issue 10 (the store's own
data path) against the bare floor too, and tighter against raw. Every target of issue 5 is
kept; those that issue 10 restates are marked with both. The telemetry issue bounds what
reporting to OpenTelemetry's SDK adds to an append's client CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.contender import FLOOR, JS, RAW, STORE, TELEMETRY_OFF, TELEMETRY_ON
from benchmarks.results import find, median

if TYPE_CHECKING:
    from collections.abc import Iterator

    from benchmarks.results import Document

HIDDEN_ENOUGH = 0.75
"""A scan pipelines when it hides at least this share of the shorter of fetch and consume."""

MAX_RSS_GROWTH_MB = 50

MAX_TELEMETRY_OVERHEAD = 1.10
"""The most client CPU an append may take with OpenTelemetry's SDK, over that without telemetry."""

_BASES = {RAW: "raw", JS: "the JS library", FLOOR: "the floor"}


@dataclass(frozen=True, slots=True)
class Target:
    """A target, the issues that set it, what the run measured, and whether it is met."""

    issues: str
    goal: str
    measured: str
    met: bool


@dataclass(frozen=True, slots=True)
class _Ratio:
    """The store's median over another contender's, bounded from below or above."""

    issues: str
    case: str
    metric: str
    base: str
    bound: float
    at_least: bool

    def check(self, document: Document) -> Target | None:
        results = find(document, self.case)
        value = median(document, self.case, STORE, self.metric)
        reference = median(document, self.case, self.base, self.metric)
        if results is None or value is None or not reference:
            return None
        ratio = value / reference
        what = "throughput" if self.metric == "throughput" else f"client CPU per {results['unit']}"
        sign = "≥" if self.at_least else "≤"
        met = ratio >= self.bound if self.at_least else ratio <= self.bound
        goal = f"{results['title']}: {what} {sign} {self.bound}x {_BASES[self.base]}"
        return Target(self.issues, goal, f"{ratio:.2f}x", met)


def check(document: Document) -> list[Target]:
    """Every target whose cases ran."""
    return [target for target in _targets(document) if target is not None]


def _targets(document: Document) -> Iterator[Target | None]:
    appends = [case["name"] for case in document["cases"] if case["kind"] == "append"]
    yield from _issue_5(document, appends)
    yield from _issue_10(document, appends)
    telemetry = [case["name"] for case in document["cases"] if case["kind"] == "telemetry"]
    yield from (_telemetry(document, case) for case in telemetry)


def _issue_5(document: Document, appends: list[str]) -> Iterator[Target | None]:
    for case in appends:
        yield _Ratio("5", case, "throughput", RAW, 1.0, at_least=True).check(document)
        yield _Ratio("5", case, "cpu_us", RAW, 1.0, at_least=False).check(document)
    yield _requests(document, "append", appends)
    pages = ["query", "scan", "query-one-page", "scan-one-page", "query-small"]
    yield _requests(document, "page", pages)
    for case in ("query", "scan"):
        yield _Ratio("5, 10", case, "cpu_us", RAW, 0.5, at_least=False).check(document)
        yield _Ratio("5, 10", case, "throughput", RAW, 1.5, at_least=True).check(document)
    for case in appends:
        yield _Ratio("5, 10", case, "throughput", JS, 1.2, at_least=True).check(document)
    yield _Ratio("5", "scan-one-page", "throughput", JS, 1.2, at_least=True).check(document)
    yield from (_pipelining(document, consumer) for consumer in ("awaiting", "busy"))
    yield _memory(document)


def _issue_10(document: Document, appends: list[str]) -> Iterator[Target | None]:
    for case in appends:
        yield _Ratio("10", case, "cpu_us", FLOOR, 1.3, at_least=False).check(document)
        yield _Ratio("10", case, "cpu_us", RAW, 0.35, at_least=False).check(document)
        yield _Ratio("10", case, "cpu_us", JS, 0.6, at_least=False).check(document)
    for case in ("append-16", "append-64"):
        yield _Ratio("10", case, "throughput", RAW, 2.0, at_least=True).check(document)
    yield _Ratio("10", "query-small", "cpu_us", FLOOR, 1.3, at_least=False).check(document)
    yield _Ratio("10", "query-small", "cpu_us", RAW, 0.35, at_least=False).check(document)


def _requests(document: Document, unit: str, cases: list[str]) -> Target | None:
    """Exactly one request per append or page, in every sample."""
    worst = [
        results["summary"][STORE]["requests"]["max"]
        for case in cases
        if (results := find(document, case)) is not None and STORE in results["summary"]
    ]
    if not worst:
        return None
    return Target(
        "5", f"exactly 1 request per {unit}", f"at most {max(worst):.2f}", max(worst) == 1.0
    )


def _pipelining(document: Document, consumer: str) -> Target | None:
    case = f"pipelining-{consumer}"
    total, fetch, cpu, consume, hidden = (
        median(document, case, STORE, metric)
        for metric in ("total_s", "fetch_s", "fetch_cpu_s", "consume_s", "hidden")
    )
    if total is None or fetch is None or cpu is None or consume is None or hidden is None:
        return None
    return Target(
        "5",
        f"scan, {consumer} consumer: total ≈ max(fetch, consume), not their sum",
        f"{total:.2f} s: max {max(fetch, consume):.2f} s, sum {fetch + consume:.2f} s,"
        f" consume + fetch CPU {consume + cpu:.2f} s ({hidden:.0%} hidden)",
        hidden >= HIDDEN_ENOUGH,
    )


def _memory(document: Document) -> Target | None:
    growth = median(document, "rss", STORE, "rss_growth_mb")
    if growth is None:
        return None
    return Target(
        "5",
        f"a full scan grows RSS by < {MAX_RSS_GROWTH_MB} MB at its peak",
        f"{growth:.1f} MB",
        growth < MAX_RSS_GROWTH_MB,
    )


def _telemetry(document: Document, case: str) -> Target | None:
    results = find(document, case)
    on = median(document, case, TELEMETRY_ON, "cpu_us")
    off = median(document, case, TELEMETRY_OFF, "cpu_us")
    if results is None or on is None or not off:
        return None
    return Target(
        "13",
        f"{results['title']}: client CPU per append with OpenTelemetry's SDK"
        f" ≤ {MAX_TELEMETRY_OVERHEAD}x without telemetry",
        f"{on / off:.2f}x",
        on / off <= MAX_TELEMETRY_OVERHEAD,
    )
