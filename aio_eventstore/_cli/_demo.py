"""The ``demo`` command: the main job, on an embedded moto server.

The walk-through of dynamodb-event-store's README: append commits, lose a race to a version
conflict, query one aggregate, scan every commit. No AWS account and no network: moto's
server runs in this process, on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from aio_eventstore._exceptions import VersionConflictError
from aio_eventstore._store import EventStore

from ._command import CommandGroup

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

__all__ = ["commands", "run_demo"]

commands = CommandGroup()

JOHN = "00000000-0000-0000-0000-000000000000"
JANE = "11111111-1111-1111-1111-111111111111"


@commands.command("demo")
async def demo(_arguments: argparse.Namespace) -> None:
    """Walk through the main job on an embedded moto server.

    Append, lose a race to a version conflict, query and scan, on a moto
    server started in this process: no AWS account, no network. Needs moto:
    pip install 'aio-eventstore[demo]'.
    """
    await run_demo()


async def run_demo(echo: Callable[[str], None] = print) -> None:
    """Run the walk-through, writing what happens with ``echo``."""
    try:
        from moto.server import ThreadedMotoServer  # noqa: PLC0415 - an optional dependency
    except ImportError:
        msg = "the demo needs moto's server: pip install 'aio-eventstore[demo]'"
        raise SystemExit(msg) from None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        await _walk_through(f"http://{host}:{port}", echo)
    finally:
        server.stop()


async def _walk_through(endpoint_url: str, echo: Callable[[str], None]) -> None:
    def show(title: str, value: object = None) -> None:
        echo(f"\n# {title}")
        if value is not None:
            echo(json.dumps(value, indent=2, ensure_ascii=False))

    async with EventStore(
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="demo",
        aws_secret_access_key="demo",  # noqa: S106 - moto accepts any credentials
    ) as store:
        show(f"an embedded moto server listens at {endpoint_url}")
        await store.create_table()
        show(f"created table {store.table_name!r} with global index {store.index_name!r}")

        john = await store.append(
            JOHN,
            0,
            [
                {"type": "accountCreated", "username": "john", "email": "john@doe.com"},
                {"type": "profileEdited", "name": "John Doe", "company": "Doe, Inc."},
            ],
        )
        show("append(john, version 0): two events in one atomic commit", john.to_dict())
        await store.append(
            JANE, 0, [{"type": "accountCreated", "username": "jane", "email": "jane@doe.com"}]
        )
        await store.append(JOHN, 1, [{"type": "accountDeleted"}])
        show("appended jane's version 0 and john's version 1")

        try:
            await store.append(JOHN, 1, [{"type": "profileEdited", "name": "Johnny"}])
        except VersionConflictError as conflict:
            stored = conflict.commit.to_dict() if conflict.commit else None
            show(f"append(john, version 1) again: VersionConflictError: {conflict}", stored)

        show(
            "query(john): every commit of one aggregate",
            [c.to_dict() for c in await store.query(JOHN)],
        )
        show("scan(): every commit of every aggregate, in commit order")
        async for commit in store.scan():
            echo(json.dumps({**commit.to_dict(), "position": commit.position}, ensure_ascii=False))
        await store.delete_table()
        show("deleted the table; the demo is over")
