"""The benchmark suite of issue 5: aio_eventstore against what a user would write instead.

Run it with ``nox -s bench`` (or ``python -m benchmarks.run``); see docs/benchmarks.md.
"""
