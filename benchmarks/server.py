"""The DynamoDB-compatible servers of the benchmark: dynalite, and moto's server.

dynalite is started by the tests' launcher. moto's server runs here in a child process, not
in a thread as the tests run it: in a thread it would share the client's GIL, and its CPU
would be counted as the client's.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))

from servers import Dynalite, free_port, wait_for_port  # noqa: E402 - tests/servers.py, found through the path above

__all__ = ["Dynalite", "MotoProcess"]


class MotoProcess:
    """moto's server (``python -m moto.server``) on 127.0.0.1 at a free port, in a child process."""

    def __init__(self) -> None:
        if importlib.util.find_spec("moto") is None:
            raise RuntimeError("moto is not installed: pip install 'moto[server,dynamodb]'")
        port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{port}"
        self._process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, self._process)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
