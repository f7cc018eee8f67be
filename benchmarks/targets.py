"""Issue 5's targets, checked against one run's medians."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.contender import JS, RAW, STORE
from benchmarks.results import find, median

if TYPE_CHECKING:
    from collections.abc import Iterator

    from benchmarks.results import Document

HIDDEN_ENOUGH = 0.75
"""A scan pipelines when it hides at least this share of the shorter of fetch and consume."""

MAX_RSS_GROWTH_MB = 50


@dataclass(frozen=True, slots=True)
class Target:
    """A target of issue 5, what the run measured, and whether it is met."""

    goal: str
    measured: str
    met: bool


@dataclass(frozen=True, slots=True)
class _Ratio:
    """The store's median over another contender's, bounded from below or above."""

    case: str
    metric: str
    base: str
    bound: float
    at_least: bool

    def check(self, document: Document) -> Target | None:
        value = median(document, self.case, STORE, self.metric)
        reference = median(document, self.case, self.base, self.metric)
        if value is None or not reference:
            return None
        ratio = value / reference
        what = "throughput" if self.metric == "throughput" else "client CPU per operation"
        base = "raw" if self.base == RAW else "the JS library"
        sign = "≥" if self.at_least else "≤"
        met = ratio >= self.bound if self.at_least else ratio <= self.bound
        goal = f"{_title(document, self.case)}: {what} {sign} {self.bound}x {base}"
        return Target(goal, f"{ratio:.2f}x", met)


def check(document: Document) -> list[Target]:
    """Every target whose cases ran."""
    return [target for target in _targets(document) if target is not None]


def _targets(document: Document) -> Iterator[Target | None]:
    appends = [case["name"] for case in document["cases"] if case["kind"] == "append"]
    for case in appends:
        yield _Ratio(case, "throughput", RAW, 1.0, at_least=True).check(document)
        yield _Ratio(case, "cpu_us", RAW, 1.0, at_least=False).check(document)
    yield _requests(document, "append", appends)
    yield _requests(document, "page", ["query", "scan", "query-one-page", "scan-one-page"])
    for case in ("query", "scan"):
        yield _Ratio(case, "cpu_us", RAW, 0.5, at_least=False).check(document)
        yield _Ratio(case, "throughput", RAW, 1.5, at_least=True).check(document)
    for case in [*appends, "scan-one-page"]:
        yield _Ratio(case, "throughput", JS, 1.2, at_least=True).check(document)
    yield from (_pipelining(document, consumer) for consumer in ("awaiting", "busy"))
    yield _memory(document)


def _requests(document: Document, unit: str, cases: list[str]) -> Target | None:
    """Exactly one request per append or page, in every sample."""
    worst = [
        results["summary"][STORE]["requests"]["max"]
        for case in cases
        if (results := find(document, case)) is not None and STORE in results["summary"]
    ]
    if not worst:
        return None
    return Target(f"exactly 1 request per {unit}", f"at most {max(worst):.2f}", max(worst) == 1.0)


def _pipelining(document: Document, consumer: str) -> Target | None:
    case = f"pipelining-{consumer}"
    total, fetch, cpu, consume, hidden = (
        median(document, case, STORE, metric)
        for metric in ("total_s", "fetch_s", "fetch_cpu_s", "consume_s", "hidden")
    )
    if total is None or fetch is None or cpu is None or consume is None or hidden is None:
        return None
    return Target(
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
        f"a full scan grows RSS by < {MAX_RSS_GROWTH_MB} MB at its peak",
        f"{growth:.1f} MB",
        growth < MAX_RSS_GROWTH_MB,
    )


def _title(document: Document, case: str) -> str:
    results = find(document, case)
    return case if results is None else results["title"]
