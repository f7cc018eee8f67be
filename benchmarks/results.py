"""The results document: every sample of every case, their summaries, and what ran where.

It is what ``benchmarks/results/latest.json`` holds, and all the report, the targets and
the plot are made from.
"""

from __future__ import annotations

from typing import Any, TypedDict

from benchmarks.stats import Spread, summarise


class CaseResults(TypedDict):
    """One case's samples by contender, in round order, and their summaries.

    ``unit`` is what throughput and CPU are counted per: ``append``, ``commit`` (read, or
    delivered by a consumer group), ``query`` (a whole read of an aggregate), or ``command``
    (a decision and its append); empty for cases that count none of them.
    """

    name: str
    title: str
    kind: str
    unit: str
    contenders: list[str]
    samples: dict[str, list[dict[str, float]]]
    summary: dict[str, dict[str, Spread]]


class Document(TypedDict):
    """A run's results."""

    date: str
    command: str
    smoke: bool
    duration_s: float
    machine: dict[str, str]
    sizes: dict[str, Any]
    configs: dict[str, str]
    cases: list[CaseResults]


def case_results(
    name: str, title: str, kind: str, unit: str, samples: dict[str, list[dict[str, float]]]
) -> CaseResults:
    """A case's results, summarised."""
    return CaseResults(
        name=name,
        title=title,
        kind=kind,
        unit=unit,
        contenders=list(samples),
        samples=samples,
        summary={contender: summarise(runs) for contender, runs in samples.items() if runs},
    )


def find(document: Document, case: str) -> CaseResults | None:
    """The results of the case called ``case``, if it ran."""
    return next((results for results in document["cases"] if results["name"] == case), None)


def median(document: Document, case: str, contender: str, metric: str) -> float | None:
    """A metric's median for a contender in a case, if it ran."""
    results = find(document, case)
    if results is None or contender not in results["summary"]:
        return None
    return results["summary"][contender][metric]["median"]
