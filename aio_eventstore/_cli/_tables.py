"""The commands that create and delete the table: ``create-table``, ``delete-table``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._command import CommandGroup, argument, note, with_store
from ._exit import CommandError

if TYPE_CHECKING:
    import argparse

    from aio_eventstore._store import EventStore

__all__ = ["commands"]

commands = CommandGroup()


@commands.command(
    "create-table",
    argument("--exist-ok", action="store_true", help="accept an existing table of the same schema"),
)
@with_store
async def create_table(store: EventStore, arguments: argparse.Namespace) -> None:
    """Create the table and its global index, billed on demand.

    Returns once both are active. They have dynamodb-event-store's schema,
    so the JS library can share the table.
    """
    await store.create_table(exist_ok=arguments.exist_ok)
    note(f"table {store.table_name!r} with index {store.index_name!r} is ready")


@commands.command(
    "delete-table",
    argument("--yes", action="store_true", help="confirm: delete every commit"),
)
@with_store
async def delete_table(store: EventStore, arguments: argparse.Namespace) -> None:
    """Delete the table and every commit in it (only with --yes).

    Returns once the table is gone.
    """
    if not arguments.yes:
        raise CommandError(
            f"delete-table deletes table {store.table_name!r} and every commit in it: "
            "pass --yes to confirm"
        )
    await store.delete_table()
    note(f"deleted table {store.table_name!r}")
