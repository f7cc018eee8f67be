"""What the Python contenders share: the same writers and reads, timed in this process."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from benchmarks.meter import measure
from benchmarks.workload import worker_shares

if TYPE_CHECKING:
    from benchmarks.contender import AppendWork, ReadWork, Sample
    from benchmarks.meter import Requests


class PythonContender(ABC):
    """A contender in this process: it supplies one append and one complete read."""

    name: str

    def __init__(self, counter: Requests) -> None:
        self.counter = counter

    @abstractmethod
    async def append_one(self, aggregate_id: str, version: int) -> None:
        """Append one commit of the workload's events."""

    @abstractmethod
    async def read_once(self, work: ReadWork) -> int:
        """Read every commit ``work`` asks for, decoding each one's events; return how many."""

    async def append(self, work: AppendWork) -> Sample:
        """Warm up with one append per writer, then time the work's appends."""
        await self._write(f"{work.tag}-warm", [1] * work.concurrency)
        shares = worker_shares(work.count, work.concurrency)
        return await measure(lambda: self._write(work.tag, shares), self.counter)

    async def read(self, work: ReadWork) -> Sample:
        """Read once untimed per reader, then time ``work.repeat`` reads by the readers."""
        await asyncio.gather(*(self.read_once(work) for _ in range(work.concurrency)))

        async def reader(reads: int) -> int:
            return sum([await self.read_once(work) for _ in range(reads)])

        async def readers() -> int:
            shares = worker_shares(work.repeat, work.concurrency)
            return sum(await asyncio.gather(*(reader(reads) for reads in shares)))

        return await measure(readers, self.counter)

    async def _write(self, tag: str, shares: list[int]) -> int:
        async def writer(aggregate_id: str, versions: int) -> None:
            for version in range(versions):
                await self.append_one(aggregate_id, version)

        await asyncio.gather(*(writer(f"{tag}-w{w}", n) for w, n in enumerate(shares)))
        return sum(shares)
