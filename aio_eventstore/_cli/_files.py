"""Where JSON lines go to and come from: files replaced only once complete, input read aside.

An export to a file writes a temporary file beside it, and renames it over the file only
once every commit is in it: a failed or interrupted export leaves the previous backup as it
was. An import reads its input in a thread of its own: a slow pipe (a producer that pauses,
a person typing) holds up only the reading, never the writes already in flight.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import stat
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ._command import PROG
from ._exit import CommandError, Exit

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from typing_extensions import Self

__all__ = ["Input", "LineReader", "Output", "open_input", "open_output"]

_CHUNK_BYTES = 64 * 1024
_CHUNKS_AHEAD = 4


@dataclass(frozen=True)
class Output:
    """Where JSON lines are written.

    Attributes:
        file: the stream to write them to.
        name: what the person named it, for messages.
        replaces: whether ``file`` is a temporary file that replaces ``name`` only once
            complete; if not (stdout, a pipe, a device), the lines go out as they come.
    """

    file: IO[bytes]
    name: str
    replaces: bool


@contextmanager
def open_output(path: str) -> Iterator[Output]:
    """The place to write JSON lines to: the file at ``path``, or stdout for ``-``.

    A regular file, or a new one, is replaced only when the block ends without an error;
    until then the lines go to a temporary file in the same directory, so that the rename is
    atomic, and an error removes it. It gets the permissions of the file it replaces.
    """
    if path == "-":
        yield Output(sys.stdout.buffer, "stdout", replaces=False)
        return
    try:
        info: os.stat_result | None = Path(path).stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}", Exit.ERROR) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        # A pipe or a device has no previous content to keep, and is no file to rename over.
        with _opened(path, "wb", Exit.ERROR) as file:
            yield Output(file, path, replaces=False)
        return
    target = Path(os.path.realpath(path))  # through a symlink, to where writing would go
    temporary = target.with_name(f"{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        # Exclusive: never write into a file that something else has put there.
        file = os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb")
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror}", Exit.ERROR) from None
    try:
        with file:
            if info is not None:
                temporary.chmod(stat.S_IMODE(info.st_mode))
            yield Output(file, path, replaces=True)
            file.flush()
            # On disk before the name points at it: after a crash, the old file or the new.
            os.fsync(file.fileno())
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CommandError(f"cannot write {path}: {exc.strerror}", Exit.ERROR) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Input:
    """Where JSON lines are read from.

    Attributes:
        file: the stream to read them from.
        name: what the person named it, for messages.
        size: its size in bytes if it is a regular file; ``None`` for a pipe or a terminal.
    """

    file: IO[bytes]
    name: str
    size: int | None


@contextmanager
def open_input(path: str) -> Iterator[Input]:
    """The place to read JSON lines from: the file at ``path``, or stdin for ``-``."""
    if path == "-":
        yield Input(sys.stdin.buffer, "stdin", _size(sys.stdin.buffer))
        return
    with _opened(path, "rb", Exit.USAGE) as file:
        yield Input(file, path, _size(file))


@contextmanager
def _opened(path: str, mode: str, status: Exit) -> Iterator[IO[bytes]]:
    """The file at ``path``, open in binary ``mode``; a ``CommandError`` if it cannot be."""
    try:
        file: IO[bytes] = Path(path).open(mode)  # noqa: SIM115 - closed below
    except OSError as exc:
        verb = "read" if "r" in mode else "write"
        raise CommandError(f"cannot {verb} {path}: {exc.strerror}", status) from None
    with file:
        yield file


def _size(file: IO[bytes]) -> int | None:
    """The size of a regular file; ``None`` for a pipe or a terminal."""
    try:
        info = os.fstat(file.fileno())
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


class LineReader:
    r"""The lines of a file, read by a thread of its own so that slow input never blocks the loop.

    The thread reads at most a few chunks of 64 KiB ahead of the consumer: memory stays
    bounded by that and the longest line, whatever the size of the input. Each line keeps
    its ``\n``, so that the lengths of the lines add up to the bytes read.

    Use it as ``async with``, which starts the thread and, on leaving, stops it. The thread
    reads its own duplicate of the file descriptor, not the file object (whose lock the
    interpreter takes at exit), and is a daemon: if it still waits on a pipe that nobody
    writes to or closes, neither closing the file nor the end of the process waits for it.

    Args:
        file: the file to read.
        name: its name, for the message if reading fails.
    """

    def __init__(self, file: IO[bytes], name: str) -> None:
        self._file = file
        self._name = name
        self._chunks: asyncio.Queue[bytes | OSError] = asyncio.Queue()
        self._room = threading.Semaphore(_CHUNKS_AHEAD)
        self._stopped = threading.Event()

    async def __aenter__(self) -> Self:
        thread = threading.Thread(
            target=self._read,
            args=(asyncio.get_running_loop(), os.dup(self._file.fileno())),
            name=f"{PROG} input",
            daemon=True,
        )
        thread.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stopped.set()
        self._room.release()  # wakes the thread if it waits for room

    async def __aiter__(self) -> AsyncIterator[bytes]:
        start: list[bytes] = []  # the start of a line that goes on in the next chunk
        while True:
            chunk = await self._chunks.get()
            self._room.release()
            if isinstance(chunk, OSError):
                raise CommandError(f"cannot read {self._name}: {chunk.strerror}")
            if not chunk:
                break
            *lines, rest = chunk.split(b"\n")
            if lines:
                lines[0] = b"".join((*start, lines[0]))
                start.clear()
            for line in lines:
                yield line + b"\n"
            if rest:
                start.append(rest)
        if start:
            yield b"".join(start)

    def _read(self, loop: asyncio.AbstractEventLoop, descriptor: int) -> None:
        """The thread: read chunks into the queue until the end, an error, or a stop."""
        try:
            while True:
                self._room.acquire()
                if self._stopped.is_set():
                    return
                try:
                    chunk: bytes | OSError = os.read(descriptor, _CHUNK_BYTES)
                except OSError as exc:
                    chunk = exc
                loop.call_soon_threadsafe(self._chunks.put_nowait, chunk)
                if not isinstance(chunk, bytes) or not chunk:
                    return
        except RuntimeError:
            return  # the loop is closed: nobody reads any more
        finally:
            os.close(descriptor)
