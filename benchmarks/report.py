"""The results as Markdown tables: printed after a run, and pasted into docs/benchmarks.md."""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchmarks.contender import BY_HAND, FLOOR, RAW, SUBSCRIBE, TELEMETRY_OFF
from benchmarks.targets import check

if TYPE_CHECKING:
    from collections.abc import Callable

    from benchmarks.results import CaseResults, Document
    from benchmarks.stats import Spread

_PLURALS = {"append": "appends", "commit": "commits", "query": "queries"}


def render(document: Document) -> str:
    """Every table of the run, with what it ran on."""
    sections = [
        _about(document),
        _throughput(document),
        _latency(document),
        _pipelining(document),
        _rss(document),
        _deciding(document),
        _groups(document),
        _telemetry(document),
        _targets(document),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _about(document: Document) -> str:
    machine = document["machine"]
    rounds = document["sizes"]["rounds"]
    sizes = "smoke sizes" if document["smoke"] else "full sizes"
    lines = [
        (
            f"Run of {document['date']} ({document['duration_s'] / 60:.1f} min), {sizes}, "
            f"{rounds} round(s): each cell is the median over the rounds, (min-max) beside it."
        ),
        "",
        f"- command: `{document['command']}`",
        f"- machine: {machine['cpu']}, {machine['cores']} cores, {machine['os']}",
        f"- runtimes: {machine['python']}, Node {machine['node']}",
        f"- packages: {machine['packages']}",
        "- client settings:",
    ]
    lines += [f"  - {name}: {config}" for name, config in document["configs"].items()]
    return "\n".join(lines)


def _throughput(document: Document) -> str:
    rows = [
        (
            "| case | contender | per second | x raw | client CPU µs per op | x raw | x floor "
            "| requests per append or page |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in _cases(document, "append", "read"):
        for contender in case["contenders"]:
            spread = case["summary"][contender]
            rows.append(
                f"| {case['title']} | {contender} "
                f"| {_spread(spread['throughput'], _count)} {_PLURALS[case['unit']]} "
                f"| {_versus(case, contender, 'throughput')} "
                f"| {_spread(spread['cpu_us'], _micro)} "
                f"| {_versus(case, contender, 'cpu_us')} "
                f"| {_versus(case, contender, 'cpu_us', FLOOR)} "
                f"| {spread['requests']['median']:.2f} |"
            )
    if len(rows) == 2:
        return ""
    return (
        "### Throughput and client CPU\n\n"
        "*x raw*: the contender's median over raw aiobotocore's; *x floor*: its client CPU "
        "over the bare floor's.\n\n" + "\n".join(rows)
    )


def _latency(document: Document) -> str:
    rows = ["| case | contender | p50 ms | p99 ms |", "|---|---|---:|---:|"]
    for case in _cases(document, "latency"):
        for contender in case["contenders"]:
            spread = case["summary"][contender]
            rows.append(
                f"| {case['title']} | {contender} | {_spread(spread['p50_ms'], _milli)} "
                f"| {_spread(spread['p99_ms'], _milli)} |"
            )
    return "### Latency\n\n" + "\n".join(rows) if len(rows) > 2 else ""


def _pipelining(document: Document) -> str:
    rows = [
        "| case | contender | total s | fetch alone s | its CPU s | consume alone s | hidden |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for case in _cases(document, "pipelining"):
        for contender in case["contenders"]:
            spread = case["summary"][contender]
            shown = RAW + " (sequential loop)" if contender == RAW else contender
            rows.append(
                f"| {case['title']} | {shown} | {_spread(spread['total_s'], _seconds)} "
                f"| {_spread(spread['fetch_s'], _seconds)} "
                f"| {spread['fetch_cpu_s']['median']:.2f} "
                f"| {_spread(spread['consume_s'], _seconds)} "
                f"| {spread['hidden']['median']:.0%} |"
            )
    if len(rows) == 2:
        return ""
    return (
        "### Scan pipelining\n\n"
        "*hidden*: the share of the shorter of fetch and consume that ran during the other "
        "(100%: total = max(fetch, consume); 0%: total = their sum). The raw loop is "
        "sequential by design: its *hidden* shows the noise. *its CPU*: the client CPU of the "
        "fetch alone, which shares the one thread with the consumer.\n\n" + "\n".join(rows)
    )


def _rss(document: Document) -> str:
    rows = ["| case | contender | peak RSS growth MB |", "|---|---|---:|"]
    for case in _cases(document, "rss"):
        for contender in case["contenders"]:
            spread = case["summary"][contender]["rss_growth_mb"]
            rows.append(f"| {case['title']} | {contender} | {_spread(spread, _tenth)} |")
    if len(rows) == 2:
        return ""
    return (
        "### Memory\n\n"
        "Each in a fresh process whose peak RSS is reset before the scan: the peak after it "
        "(`VmHWM`) minus the RSS before it.\n\n" + "\n".join(rows)
    )


def _deciding(document: Document) -> str:
    rows = [
        (
            "| case | contender | commands per second | x by hand | client CPU µs per command "
            "| x by hand | requests per command |"
        ),
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for case in _cases(document, "transact"):
        for contender in case["contenders"]:
            spread = case["summary"][contender]
            rows.append(
                f"| {case['title']} | {contender} "
                f"| {_spread(spread['throughput'], _rate)} "
                f"| {_versus(case, contender, 'throughput', BY_HAND)} "
                f"| {_spread(spread['cpu_us'], _micro)} "
                f"| {_versus(case, contender, 'cpu_us', BY_HAND)} "
                f"| {spread['requests']['median']:.2f} |"
            )
    if len(rows) == 2:
        return ""
    return (
        "### Deciding on a long aggregate\n\n"
        "One command after the other, each appending one commit, for one whole cycle from a "
        "snapshot to the next. *x by hand*: the median over that of query, fold, append, which "
        "reads every commit for every command.\n\n" + "\n".join(rows)
    )


def _groups(document: Document) -> str:
    rows = [
        (
            "| case | contender | commits per second | x one subscribe | client CPU µs per commit "
            "| first delivery s | lease writes per second | lease writes in all "
            "| requests per second | delivered twice | clean exit s | after it: held, behind |"
        ),
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in _cases(document, "group"):
        for contender in case["contenders"]:
            spread = case["summary"][contender]
            rows.append(
                f"| {case['title']} | {contender} "
                f"| {_spread(spread['throughput'], _rate)} "
                f"| {_versus(case, contender, 'throughput', SUBSCRIBE)} "
                f"| {_spread(spread['cpu_us'], _micro)} "
                f"| {_spread(spread['first_s'], _seconds)} "
                f"| {_spread(spread['lease_writes_per_s'], _tenth)} "
                f"| {spread['lease_writes']['median']:.0f} "
                f"| {_spread(spread['requests_per_s'], _count)} "
                f"| {spread['duplicates']['max']:.0f} "
                f"| {_spread(spread['stop_s'], _seconds)} "
                f"| {spread['held_after']['max']:.0f}, {spread['behind_after']['max']:.0f} |"
            )
    if len(rows) == 2:
        return ""
    return (
        "### Consumer groups\n\n"
        "Until every commit of the stream was delivered, once. *x one subscribe*: the median "
        "over one plain subscription's. *lease writes*: the members' UpdateItem requests to "
        "their leases (acquisitions, renewals, checkpoints, requests, releases), per second "
        "while delivering, and in all with the clean exit. *delivered twice*, *held* (leases "
        "still held after the exit) and *behind* (partitions whose checkpoint stands before "
        "the stream's end after it): the most in any round.\n\n" + "\n".join(rows)
    )


def _telemetry(document: Document) -> str:
    rows = [
        (
            "| case | contender | appends per second | x no telemetry | client CPU µs per append "
            "| x no telemetry | requests per append |"
        ),
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for case in _cases(document, "telemetry"):
        for contender in case["contenders"]:
            spread = case["summary"][contender]
            rows.append(
                f"| {case['title']} | {contender} "
                f"| {_spread(spread['throughput'], _count)} "
                f"| {_versus(case, contender, 'throughput', TELEMETRY_OFF)} "
                f"| {_spread(spread['cpu_us'], _micro)} "
                f"| {_versus(case, contender, 'cpu_us', TELEMETRY_OFF)} "
                f"| {spread['requests']['median']:.2f} |"
            )
    if len(rows) == 2:
        return ""
    return (
        "### Telemetry\n\n"
        "The store reporting every append (a span, its duration, a count of commits) to "
        "OpenTelemetry's SDK, which exports nothing, and the same store with no telemetry at "
        "all, as without the `otel` extra. *x no telemetry*: the median over the latter's.\n\n"
        + "\n".join(rows)
    )


def _targets(document: Document) -> str:
    rows = ["| issue | target | measured (medians) | met |", "|---|---|---|:---:|"]
    rows += [
        f"| {target.issues} | {target.goal} | {target.measured} "
        f"| {'yes' if target.met else '**no**'} |"
        for target in check(document)
    ]
    return "### Targets\n\n" + "\n".join(rows) if len(rows) > 2 else ""


def _cases(document: Document, *kinds: str) -> list[CaseResults]:
    return [case for case in document["cases"] if case["kind"] in kinds]


def _versus(case: CaseResults, contender: str, metric: str, base: str = RAW) -> str:
    if contender == base or base not in case["summary"]:
        return ""
    reference = case["summary"][base][metric]["median"]
    return f"{case['summary'][contender][metric]['median'] / reference:.2f}" if reference else ""


def _spread(spread: Spread, show: Callable[[float], str]) -> str:
    return f"{show(spread['median'])} ({show(spread['min'])}-{show(spread['max'])})"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _rate(value: float) -> str:
    """Per second: whole numbers from 10, two significant digits below (moto's 0.49)."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.2g}"


def _micro(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _milli(value: float) -> str:
    return f"{value:.1f}"


def _seconds(value: float) -> str:
    return f"{value:.2f}"


def _tenth(value: float) -> str:
    return f"{value:.1f}"
