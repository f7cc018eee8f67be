"""The results as one PNG: throughput and client CPU per contender, per append, commit, query.

Drawn with matplotlib's object API on the Agg canvas: no pyplot, no display, no global state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.axes import Axes

    from benchmarks.results import CaseResults, Document

_KINDS = ("append", "read")
"""The cases drawn: the contenders' appends and reads; the others have tables only."""

_PANELS = [
    ("append", "throughput", "appends per second (higher is better)"),
    ("append", "cpu_us", "client CPU µs per append (lower is better)"),
    ("commit", "throughput", "commits read per second (higher is better)"),
    ("commit", "cpu_us", "client CPU µs per commit read (lower is better)"),
    ("query", "throughput", "queries of a small aggregate per second (higher is better)"),
    ("query", "cpu_us", "client CPU µs per query of a small aggregate (lower is better)"),
]


def draw(document: Document, path: Path) -> None:
    """Write the plot of ``document`` to ``path``, unless none of its cases is drawn."""
    if not any(case["kind"] in _KINDS for case in document["cases"]):
        return
    figure = Figure(figsize=(13, 13), layout="constrained")
    FigureCanvasAgg(figure)
    contenders = _contenders(document)
    for axes, (unit, metric, label) in zip(figure.subplots(3, 2).flat, _PANELS, strict=True):
        cases = [
            case for case in document["cases"] if case["unit"] == unit and case["kind"] in _KINDS
        ]
        _bars(axes, cases, contenders, metric)
        axes.set_title(label, fontsize=10)
    figure.legend(*figure.axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4)
    figure.suptitle(
        f"aio_eventstore benchmarks, {document['date'][:10]}: median of "
        f"{document['sizes']['rounds']} rounds, bars from min to max"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)


def _bars(axes: Axes, cases: list[CaseResults], contenders: list[str], metric: str) -> None:
    width = 0.8 / len(contenders)
    for offset, contender in enumerate(contenders):
        positions, heights, below, above = [], [], [], []
        for index, case in enumerate(cases):
            spread = case["summary"].get(contender, {}).get(metric)
            if spread is None:
                continue
            positions.append(index + (offset - (len(contenders) - 1) / 2) * width)
            heights.append(spread["median"])
            below.append(spread["median"] - spread["min"])
            above.append(spread["max"] - spread["median"])
        axes.bar(
            positions,
            heights,
            width,
            yerr=[below, above],
            capsize=2,
            label=contender,
            color=f"C{offset}",
        )
    axes.set_xticks(range(len(cases)), [case["title"] for case in cases], fontsize=8, rotation=12)
    axes.grid(axis="y", alpha=0.3)


def _contenders(document: Document) -> list[str]:
    names: list[str] = []
    for case in document["cases"]:
        if case["kind"] in _KINDS:
            names += [name for name in case["contenders"] if name not in names]
    return names
