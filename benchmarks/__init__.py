"""The benchmark suite of issues 5 and 10: aio_eventstore against what a user would write instead.

Run it with ``nox -s bench`` (or ``python -m benchmarks.run``); see docs/benchmarks.md.
"""
