"""Command handlers for bank accounts: decide, append, and a transfer between two accounts.

Each account is an aggregate. A command loads it, decides what happens (or refuses), and
appends the events at the next version: ``EventStore.transact`` runs that loop. A transfer
changes two accounts at once, with ``append_many``, which needs a server with transactions
(DynamoDB or moto's server; dynalite has none). Run it against one::

    AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 python docs/examples/write_model.py
"""

# ruff: noqa: INP001, T201 - a script in the docs, not a package; printing is its output

from __future__ import annotations

import asyncio
import os
import uuid
from typing import TYPE_CHECKING, Any, TypedDict

from aio_eventstore import DEFAULT_TABLE_NAME, EventStore, VersionConflictError

if TYPE_CHECKING:
    from collections.abc import Callable

    from aio_eventstore import Commit

Event = dict[str, Any]


class Account(TypedDict):
    """An account's state: a dict, so that it can be stored as a snapshot (JSON)."""

    owner: str | None  # None: not opened yet
    balance: int  # in cents


NEW_ACCOUNT = Account(owner=None, balance=0)

SNAPSHOT_EVERY = 10
"""Save a snapshot every 10 commits: a load reads the snapshot and at most 9 commits."""


class Refused(Exception):  # noqa: N818 - a domain's answer, not a program's error
    """The account refuses the command: nothing is written."""


class InsufficientFunds(Refused):
    """The account's balance does not cover the amount."""

    def __init__(self, account_id: str, balance: int, amount: int) -> None:
        super().__init__(f"{account_id} has {balance / 100:.2f}, not {amount / 100:.2f}")
        self.balance = balance
        self.amount = amount


def evolve(account: Account, event: Event) -> Account:
    """The account after one event: the only place that knows what events mean."""
    match event["type"]:
        case "Opened":
            return Account(owner=event["owner"], balance=account["balance"])
        case "Deposited" | "TransferReceived":
            return Account(owner=account["owner"], balance=account["balance"] + event["amount"])
        case "Withdrawn" | "TransferSent":
            return Account(owner=account["owner"], balance=account["balance"] - event["amount"])
    raise ValueError(f"an account has no event {event['type']!r}")


def upcast(event: Any) -> Any:  # noqa: ANN401 - any JSON value
    """Events of an older shape, as today's code expects them: applied to every event read.

    Deposits were once written in dollars, ``{"type": "Deposited", "dollars": 12.5}``; they
    are stored as they were written, and read as cents.
    """
    if isinstance(event, dict) and event.get("type") == "Deposited" and "dollars" in event:
        return {"type": "Deposited", "amount": round(event["dollars"] * 100)}
    return event


# Decisions: the account's state and the command's arguments to the events, or Refused.


def open_account(account: Account, owner: str) -> list[Event]:
    """Open the account for ``owner``; opening it again for the same owner does nothing."""
    if account["owner"] == owner:
        return []  # opened before, by this owner: nothing to do, nothing is written
    if account["owner"] is not None:
        raise Refused(f"the account belongs to {account['owner']}")
    return [{"type": "Opened", "owner": owner}]


def deposit(account: Account, amount: int) -> list[Event]:
    """Pay ``amount`` cents in."""
    check(account, amount)
    return [{"type": "Deposited", "amount": amount}]


def withdraw(account: Account, account_id: str, amount: int) -> list[Event]:
    """Pay ``amount`` cents out, if the balance covers it."""
    check(account, amount)
    if amount > account["balance"]:
        raise InsufficientFunds(account_id, account["balance"], amount)
    return [{"type": "Withdrawn", "amount": amount}]


def check(account: Account, amount: int) -> None:
    """The rules every payment in or out follows."""
    if account["owner"] is None:
        raise Refused("the account is not open")
    if amount <= 0:
        raise Refused(f"the amount must be positive, not {amount}")


# Command handlers: load, decide, append; on a conflict, load what is new and decide again.


async def execute(
    store: EventStore, account_id: str, decide: Callable[[Account], list[Event]]
) -> tuple[Account, Commit | None]:
    """Run a decision on one account: its new state, and the commit (None: nothing to do)."""
    return await store.transact(
        account_id, decide, evolve=evolve, initial=NEW_ACCOUNT, snapshot_every=SNAPSHOT_EVERY
    )


async def load(store: EventStore, account_id: str) -> tuple[Account, int]:
    """An account's state and version (-1: no commits), as ``transact`` loads it."""
    snapshot = await store.load_snapshot(account_id)
    account, version = (NEW_ACCOUNT, -1) if snapshot is None else (snapshot.state, snapshot.version)
    for commit in await store.query(account_id, version + 1):
        for event in commit.events:
            account = evolve(account, event)
        version = commit.version
    return account, version


async def transfer(
    store: EventStore,
    transfer_id: str,
    source: str,
    target: str,
    amount: int,
    *,
    max_attempts: int = 5,
) -> Commit:
    """Move ``amount`` from ``source`` to ``target``, once per ``transfer_id``.

    One transaction writes three commits: the transfer's own record, at version 0 of the
    aggregate ``transfer-<id>``, and one commit on each account. Version 0 can be written
    once, so a repeated transfer id never moves the money twice, even when two calls race.

    Returns:
        The transfer's record: this call's, or that of an earlier call with the same id.
    """
    if source == target:
        raise Refused("a transfer needs two accounts")
    record = f"transfer-{transfer_id}"
    for attempt in range(1, max_attempts + 1):
        made, (sender, sender_version), (receiver, receiver_version) = await asyncio.gather(
            store.latest(record), load(store, source), load(store, target)
        )
        if made is not None:
            return made  # an earlier call made it (perhaps one whose answer was lost)
        withdraw(sender, source, amount)  # the rules of a withdrawal and a deposit: they
        deposit(receiver, amount)  # raise Refused, or InsufficientFunds, as those do
        made_event = {"type": "TransferMade", "from": source, "to": target, "amount": amount}
        sent = {"type": "TransferSent", "to": target, "amount": amount}
        received = {"type": "TransferReceived", "from": source, "amount": amount}
        try:
            commits = await store.append_many(
                [
                    (record, 0, [made_event]),
                    (source, sender_version + 1, [sent]),
                    (target, receiver_version + 1, [received]),
                ]
            )
        except VersionConflictError:
            # Another command changed an account, or made this transfer, first; nothing of
            # this attempt was written. Load again and decide again.
            if attempt == max_attempts:
                raise
            continue
        return commits[0]
    raise AssertionError("unreachable: the last attempt returns or raises")


# The walk-through: one account's commands, then transfers between two.


async def accounts(store: EventStore, ada: str, bob: str) -> None:
    """Commands on one account at a time: any DynamoDB-compatible server runs these."""
    _, opened = await execute(store, ada, lambda account: open_account(account, "ada"))
    print(f"opened {ada} for ada: {written(opened)}")
    account, deposited = await execute(store, ada, lambda account: deposit(account, 100_00))
    print(f"deposited 100.00: balance {account['balance'] / 100:.2f}, {written(deposited)}")
    account, withdrawn = await execute(store, ada, lambda account: withdraw(account, ada, 30_00))
    print(f"withdrew 30.00: balance {account['balance'] / 100:.2f}, {written(withdrawn)}")
    try:
        await execute(store, ada, lambda account: withdraw(account, ada, 500_00))
    except InsufficientFunds as refused:
        print(f"refused: {refused}")  # decide raised: nothing was written
    _, again = await execute(store, ada, lambda account: open_account(account, "ada"))
    print(f"opened {ada} again: {written(again)}")
    _, opened = await execute(store, bob, lambda account: open_account(account, "bob"))
    print(f"opened {bob} for bob: {written(opened)}")


def written(commit: Commit | None) -> str:
    """What a command wrote."""
    return "nothing written" if commit is None else f"version {commit.version} written"


async def transfers(store: EventStore, ada: str, bob: str) -> None:
    """Commands on two accounts at once: they need a server with transactions."""
    transfer_id = uuid.uuid4().hex[:8]
    made = await transfer(store, transfer_id, ada, bob, 25_00)
    (sender, _), (receiver, _) = await load(store, ada), await load(store, bob)
    print(
        f"transferred 25.00 in {made.aggregate_id}: "
        f"{ada} has {sender['balance'] / 100:.2f}, {bob} has {receiver['balance'] / 100:.2f}"
    )
    again = await transfer(store, transfer_id, ada, bob, 25_00)
    print(f"repeated {again.aggregate_id}: {'made once' if again == made else 'made twice?'}")
    try:
        await transfer(store, uuid.uuid4().hex[:8], bob, ada, 1_000_00)
    except InsufficientFunds as refused:
        print(f"refused: {refused}")


def open_store() -> EventStore:
    """The store of the example, with its upcaster: from the environment, as boto3 is."""
    return EventStore(
        os.environ.get("AIO_EVENTSTORE_TABLE", DEFAULT_TABLE_NAME),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
        upcast=upcast,
    )


async def main() -> None:
    """Open two new accounts, run commands on each, then transfer between them."""
    async with open_store() as store:
        await store.create_table(exist_ok=True)
        ada, bob = (f"account-{uuid.uuid4().hex[:8]}" for _ in range(2))
        await accounts(store, ada, bob)
        await transfers(store, ada, bob)


if __name__ == "__main__":
    asyncio.run(main())
