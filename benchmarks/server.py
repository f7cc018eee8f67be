"""The DynamoDB-compatible server of the benchmark: dynalite, started by the tests' launcher."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))

from servers import Dynalite  # noqa: E402 - tests/servers.py, found through the path above

__all__ = ["Dynalite"]
