"""Run the benchmark suite: ``nox -s bench``, or ``python -m benchmarks.run [--smoke]``.

Every case runs every contender once per round. Within a round the contenders take turns
in an order that rotates from round to round (A, B, C, D; then B, C, D, A; ...), so that
drift of a shared machine favours none of them. The run prints Markdown tables of medians
with min and max, writes every sample to ``results/latest.json``, draws the plot and
refreshes the results region of docs/benchmarks.md (not in a smoke run, nor with --cases).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks import machine, plot, report
from benchmarks.cases import build_cases
from benchmarks.configs import describe
from benchmarks.docs_page import replace_results
from benchmarks.results import Document, case_results
from benchmarks.sizes import FULL, SMOKE
from benchmarks.testbed import Testbed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from benchmarks.cases import Metrics
    from benchmarks.results import CaseResults
    from benchmarks.sizes import Sizes

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite as the command line asks; 0 when it ran."""
    arguments = _parser().parse_args(argv)
    sizes = SMOKE if arguments.smoke else FULL
    if arguments.rounds is not None:
        sizes = dataclasses.replace(sizes, rounds=arguments.rounds)
    given = list(sys.argv[1:] if argv is None else argv)
    command = " ".join(["nox -s bench", *(["--", *given] if given else [])])
    started = time.perf_counter()
    date = datetime.now(timezone.utc).isoformat(timespec="seconds")
    cases = asyncio.run(run_rounds(sizes, arguments.cases))
    document = Document(
        date=date,
        command=command,
        smoke=arguments.smoke,
        duration_s=time.perf_counter() - started,
        machine=machine.describe(),
        sizes=sizes.to_json(),
        configs=describe(max(sizes.appends)),
        cases=cases,
    )
    output: Path = arguments.output_dir
    output.mkdir(parents=True, exist_ok=True)
    (output / "latest.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    tables = report.render(document)
    print(tables)
    publish = not arguments.smoke and not arguments.cases
    plot.draw(document, (DOCS if publish else output) / "benchmarks.png")
    if publish:
        replace_results(DOCS / "benchmarks.md", tables)
    return 0


async def run_rounds(sizes: Sizes, only: Sequence[str] = ()) -> list[CaseResults]:
    """Every case (or those named in ``only``), every contender, ``sizes.rounds`` times."""
    async with Testbed(sizes) as bed:
        cases = [case for case in build_cases(bed) if not only or case.name in only]
        if only and len(cases) != len(set(only)):
            raise SystemExit(f"unknown case in {list(only)}")
        samples: dict[str, dict[str, list[Metrics]]] = {
            case.name: {name: [] for name in case.contenders} for case in cases
        }
        for round_ in range(sizes.rounds):
            for case in cases:
                for contender in _rotated(case.contenders, round_):
                    metrics = await case.measure(contender, round_)
                    samples[case.name][contender].append(metrics)
                    _progress(round_, sizes.rounds, case.name, contender, metrics)
    return [case_results(c.name, c.title, c.kind, c.unit, samples[c.name]) for c in cases]


def _rotated(contenders: Sequence[str], round_: int) -> list[str]:
    turn = round_ % len(contenders)
    return [*contenders[turn:], *contenders[:turn]]


def _progress(round_: int, rounds: int, case: str, contender: str, metrics: Metrics) -> None:
    shown = ", ".join(f"{name} {value:,.4g}" for name, value in metrics.items())
    print(f"round {round_ + 1}/{rounds} {case} {contender}: {shown}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nox -s bench --", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes and one round, for CI")
    parser.add_argument("--rounds", type=int, help="rounds instead of the sizes' own")
    parser.add_argument("--cases", nargs="+", default=[], help="only these cases (by name)")
    parser.add_argument(
        "--output-dir", type=Path, default=RESULTS, help="where latest.json goes (%(default)s)"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
