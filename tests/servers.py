"""DynamoDB-compatible servers for the tests: moto's server and dynalite, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DYNALITE = ROOT / "node_modules" / "dynalite" / "cli.js"
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})


class MotoServer:
    """moto's server, in a child process of its own, one write at a time.

    A process of its own: in a thread of the tests' process, moto's Python would share one
    interpreter lock with the event loop under test, and slow both (leases would lapse for
    want of CPU). One write at a time: see :func:`serve_moto`.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [sys.executable, __file__, "moto", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self._process, timeout=60.0)  # moto is slow to import

    def stop(self) -> None:
        self._process.kill()
        self._process.wait()


def serve_moto(port: int) -> None:
    """Serve moto on ``port`` until killed, its writes one at a time.

    moto's backends take no lock, so two writes at once can both pass a condition on the
    same item (two owners of one lease, two commits at one version), and a cancelled
    transaction's rollback can erase another write. DynamoDB applies each write, and each
    transaction, atomically; with writes serialised, moto does too. Reads run side by side.
    """
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - in the child only
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialised(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        if operation not in _WRITES:
            return list(app(environ, start_response))
        with one_at_a_time:
            return list(app(environ, start_response))

    server = make_server(
        "127.0.0.1", port, serialised, threaded=True, request_handler=MotoRequestHandler
    )
    server.serve_forever()


class Dynalite:
    """dynalite (npm), the JS library's own test server, in a child process.

    With ``path`` it keeps its data in LevelDB files there, so that a test can kill it and
    start it again on the same port with the same data.
    """

    def __init__(
        self,
        path: Path | None = None,
        port: int | None = None,
        *,
        create_table_ms: int = 0,
        update_table_ms: int = 0,
    ) -> None:
        if not DYNALITE.exists():
            msg = f"dynalite is not installed at {DYNALITE}: run 'npm ci' in {ROOT}"
            raise RuntimeError(msg)
        self.path = path
        self.port = port or free_port()
        # How long tables stay CREATING, and indexes being added stay CREATING.
        self.delays = {"--createTableMs": create_table_ms, "--updateTableMs": update_table_ms}
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        node = shutil.which("node")
        if node is None:
            msg = "node is not on PATH: dynalite needs Node.js"
            raise RuntimeError(msg)
        command = [node, str(DYNALITE), "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--deleteTableMs", "0"]
        for option, milliseconds in self.delays.items():
            command += [option, str(milliseconds)]
        if self.path is not None:
            command += ["--path", str(self.path)]
        self._process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port, self._process)

    def kill(self) -> None:
        """Stop the server at once, as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        self.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"the server exited with status {process.returncode} before listening"
            raise RuntimeError(msg)
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    msg = f"nothing listens on port {port} after {timeout} s"
    raise RuntimeError(msg)


def env_backends() -> list[str]:
    """The backends to test on: AIO_EVENTSTORE_BACKENDS, else both local servers."""
    if os.environ.get("AIO_EVENTSTORE_ENDPOINT_URL"):
        return ["external"]
    names = os.environ.get("AIO_EVENTSTORE_BACKENDS", "moto,dynalite")
    return [name.strip() for name in names.split(",") if name.strip()]


if __name__ == "__main__":
    if sys.argv[1:2] == ["moto"]:
        serve_moto(int(sys.argv[2]))
