"""The docs' code runs as the docs show it, on every backend, and their facts match the code.

docs/quickstart.md, docs/web-service.md and docs/write-model.md include docs/examples/*.py
whole, so what the pages show is what runs here; the home page's ten lines run too. The
examples read their endpoint and table from the environment; the tests point those at the
backend and at a new table. The write model's transfers need transactions: they run on the
servers that have them, and on dynalite the example must stop with the store's typed error.
The operations page's CreateTable request and client defaults are checked against the
values the store uses.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from conftest import (
    TEST_CREDENTIALS,
    Backend,
    on_servers_with_transactions,
    on_servers_without_transactions,
)

from aio_eventstore import DEFAULT_INDEX_NAME, DEFAULT_TABLE_NAME, EventStore, EventStoreError
from aio_eventstore._client import DEFAULT_CONFIG
from aio_eventstore._schema import table_definition

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from types import ModuleType

    from aio_eventstore import Commit

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXAMPLES = DOCS / "examples"


def load_example(name: str) -> ModuleType:
    """Import docs/examples/<name>.py, which is not in a package."""
    spec = importlib.util.spec_from_file_location(f"docs_examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while they are made
    spec.loader.exec_module(module)
    return module


def point_the_examples_at(
    backend: Backend, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set the variables the examples read: the backend's endpoint and a new table."""
    assert backend.endpoint_url is not None
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", backend.endpoint_url)
    monkeypatch.setenv("AIO_EVENTSTORE_TABLE", table_name)
    if backend.name != "external":  # a real endpoint keeps the environment's credentials
        monkeypatch.setenv("AWS_DEFAULT_REGION", TEST_CREDENTIALS["region_name"])
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_CREDENTIALS["aws_access_key_id"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_CREDENTIALS["aws_secret_access_key"])
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)


async def delete_table(backend: Backend, table_name: str) -> None:
    """Delete the table an example created."""
    async with backend.store(table_name) as store:
        await store.delete_table()


@pytest.fixture
async def environment(
    backend: Backend, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    """The examples pointed at the backend and a new table, deleted afterwards."""
    point_the_examples_at(backend, table_name, monkeypatch)
    try:
        yield
    finally:
        await delete_table(backend, table_name)


@pytest.mark.usefixtures("environment")
async def test_the_quickstart_runs_each_step_and_resumes_from_its_checkpoint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    quickstart = load_example("quickstart")
    await asyncio.wait_for(quickstart.main(), timeout=60)
    first = capsys.readouterr().out.splitlines()
    assert [line.split()[0].rstrip(":") for line in first] == [
        "appended",
        "conflict",
        "query",
        "query",
        "latest",
        "scan",
        "scan",
        "subscribe",
        "subscribe",
    ]

    await asyncio.wait_for(quickstart.main(), timeout=60)
    second = capsys.readouterr().out.splitlines()
    delivered = [line for line in second if line.startswith("subscribe:")]
    assert len(delivered) == 2, "the second run resumes after the first run's commits"
    assert not set(delivered) & set(first)


def code_blocks(page: str, language: str = "python") -> list[str]:
    """The code blocks of a page of the docs, in one language."""
    pattern = rf"^ *```{language}\n(.*?)^ *```$"
    return re.findall(pattern, (DOCS / page).read_text(), re.DOTALL | re.MULTILINE)


@pytest.mark.usefixtures("environment")
async def test_the_ten_lines_on_the_home_page_run(
    table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = code_blocks("index.md")[0]
    # The one change: the test's own table instead of the default one.
    assert code.count("EventStore()") == 1
    code = code.replace("EventStore()", f"EventStore({table_name!r})")
    program = compile(code, "docs/index.md", "exec")
    for _ in range(2):  # asyncio.run() needs a thread without a running loop
        await asyncio.to_thread(exec, program, {"__name__": "__main__"})
    assert capsys.readouterr().out.splitlines() == [
        "0 [{'type': 'Paid'}]",
        "0 [{'type': 'Paid'}]",
        "1 [{'type': 'Paid'}]",
    ]


@pytest.fixture
async def service(
    backend: Backend, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[aiohttp.ClientSession]:
    """The example web service on 127.0.0.1 and a free port, and an HTTP client for it."""
    point_the_examples_at(backend, table_name, monkeypatch)
    monkeypatch.setenv("AIO_EVENTSTORE_CREATE_TABLE", "1")
    monkeypatch.setenv("AIO_EVENTSTORE_SETTLE", "0.1")  # one writer, on this machine's clock
    monkeypatch.setenv("AIO_EVENTSTORE_POLL_INTERVAL", "0.05")
    web_service = load_example("web_service")
    runner = web.AppRunner(web_service.create_app(web_service.Settings.from_environment()))
    await runner.setup()  # opens the store, creates the table, starts the projector
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            yield http
    finally:
        await runner.cleanup()  # stops the projector, closes the store
        await delete_table(backend, table_name)


async def post(
    http: aiohttp.ClientSession, cart: str, body: Any, **headers: str
) -> tuple[int, Any]:
    async with http.post(f"/carts/{cart}/commits", json=body, headers=headers) as response:
        return response.status, await response.json()


async def projected(http: aiohttp.ClientSession, cart: str, version: int) -> Any:
    """The cart once the projector has reached ``version``."""
    while True:
        async with http.get(f"/carts/{cart}") as response:
            if response.status == 200:
                shown = await response.json()
                if shown["version"] >= version:
                    return shown
            else:
                assert response.status == 404
        await asyncio.sleep(0.05)


def added(sku: str, quantity: int) -> dict[str, Any]:
    return {"type": "ItemAdded", "sku": sku, "quantity": quantity}


async def stored(backend: Backend, table_name: str) -> list[Commit]:
    """Every commit in the table, read apart from the service."""
    store = EventStore(table_name, session=backend.session, **backend.client_args())
    async with store:  # the examples use the default index name, unlike backend.store()
        return [commit async for commit in store.scan()]


async def test_posted_commits_reach_the_read_model(service: aiohttp.ClientSession) -> None:
    status, answer = await post(service, "c1", {"version": 0, "events": [added("tea", 2)]})
    assert (status, answer["version"]) == (201, 0)
    assert answer["commitId"].endswith(":cart:c1")
    more = [added("mug", 1), added("tea", 1)]
    assert (await post(service, "c1", {"version": 1, "events": more}))[0] == 201
    removed = {"type": "ItemRemoved", "sku": "mug"}
    assert (await post(service, "c1", {"version": 2, "events": [removed]}))[0] == 201
    assert (await post(service, "c2", {"version": 0, "events": [added("pot", 1)]}))[0] == 201

    shown = await asyncio.wait_for(projected(service, "c1", 2), timeout=30)
    assert shown == {"cart": "c1", "version": 2, "items": {"tea": 3}}
    shown = await asyncio.wait_for(projected(service, "c2", 0), timeout=30)
    assert shown == {"cart": "c2", "version": 0, "items": {"pot": 1}}


async def test_an_unknown_cart_is_404(service: aiohttp.ClientSession) -> None:
    async with service.get("/carts/nobody") as response:
        assert response.status == 404


async def test_a_taken_version_is_409_and_writes_nothing(
    service: aiohttp.ClientSession, backend: Backend, table_name: str
) -> None:
    assert (await post(service, "c1", {"version": 0, "events": [added("tea", 1)]}))[0] == 201
    status, answer = await post(service, "c1", {"version": 0, "events": [added("mug", 5)]})
    assert status == 409
    assert "conflict" in answer["error"]
    [commit] = await stored(backend, table_name)
    assert commit.events == [added("tea", 1)]


async def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer(
    service: aiohttp.ClientSession, backend: Backend, table_name: str
) -> None:
    body = {"version": 0, "events": [added("tea", 1)]}
    first = await post(service, "c1", body, **{"Idempotency-Key": "request-1"})
    again = await post(service, "c1", body, **{"Idempotency-Key": "request-1"})
    assert first[0] == again[0] == 201
    assert first[1] == again[1]
    assert len(await stored(backend, table_name)) == 1
    other = await post(service, "c1", body, **{"Idempotency-Key": "request-2"})
    assert other[0] == 409


@pytest.mark.parametrize(
    "body",
    [
        "not an object",
        {"events": [added("tea", 1)]},
        {"version": 0, "events": [{"type": "ItemStolen", "sku": "tea"}]},
        {"version": 0, "events": [added("tea", 0)]},
        {"version": "0", "events": [added("tea", 1)]},  # refused by the store
        {"version": -1, "events": [added("tea", 1)]},  # refused by the store
        {"version": 0, "events": []},  # refused by the store
    ],
)
async def test_bad_requests_are_400_and_write_nothing(
    service: aiohttp.ClientSession, backend: Backend, table_name: str, body: Any
) -> None:
    status, answer = await post(service, "c1", body)
    assert status == 400
    assert answer["error"]
    assert await stored(backend, table_name) == []


async def test_a_body_that_is_not_json_is_400(service: aiohttp.ClientSession) -> None:
    async with service.post("/carts/c1/commits", data=b"{version") as response:
        assert response.status == 400


async def test_a_cart_id_too_long_for_an_aggregate_id_is_400(
    service: aiohttp.ClientSession,
) -> None:
    status, answer = await post(service, "c" * 1100, {"version": 0, "events": [added("a", 1)]})
    assert status == 400
    assert "aggregate_id" in answer["error"]


# docs/write-model.md: docs/examples/write_model.py, bank accounts on the write model.


@pytest.fixture
def bank() -> ModuleType:
    """docs/examples/write_model.py, imported."""
    return load_example("write_model")


@pytest.fixture
async def bank_store(
    environment: None,  # noqa: ARG001 - points the example at the backend, deletes the table
    bank: ModuleType,
) -> AsyncIterator[EventStore]:
    """The example's own store, with its upcaster, open on a new table."""
    store: EventStore = bank.open_store()
    async with store:
        await store.create_table()
        yield store


def without_ids(output: str) -> list[str]:
    """The example's output lines, its random account and transfer ids made ``*``."""
    return [
        re.sub(r"\b(account|transfer)-[0-9a-f]{8}\b", r"\1-*", line) for line in output.splitlines()
    ]


ACCOUNT_LINES = [
    "opened account-* for ada: version 0 written",
    "deposited 100.00: balance 100.00, version 1 written",
    "withdrew 30.00: balance 70.00, version 2 written",
    "refused: account-* has 70.00, not 500.00",
    "opened account-* again: nothing written",
    "opened account-* for bob: version 0 written",
]


TRANSFER_LINES = [
    "transferred 25.00 in transfer-*: account-* has 45.00, account-* has 25.00",
    "repeated transfer-*: made once",
    "refused: account-* has 25.00, not 1000.00",
]


@on_servers_with_transactions
@pytest.mark.usefixtures("environment")
async def test_the_write_model_example_runs_each_command(
    bank: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    await asyncio.wait_for(bank.main(), timeout=60)
    assert without_ids(capsys.readouterr().out) == [*ACCOUNT_LINES, *TRANSFER_LINES]


def test_the_write_model_page_shows_what_the_example_prints() -> None:
    [run] = [block for block in code_blocks("write-model.md", "console") if "write_model" in block]
    printed = run.partition("$ python docs/examples/write_model.py\n")[2]
    assert without_ids(printed) == [*ACCOUNT_LINES, *TRANSFER_LINES]


@on_servers_without_transactions
@pytest.mark.usefixtures("environment")
async def test_without_transactions_the_write_model_example_stops_at_the_transfer(
    bank: ModuleType,
    backend: Backend,
    table_name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(EventStoreError, match="does not support transactions") as caught:
        await asyncio.wait_for(bank.main(), timeout=60)
    assert type(caught.value) is EventStoreError
    assert without_ids(capsys.readouterr().out) == ACCOUNT_LINES
    written = [
        (c.aggregate_id.partition("-")[0], c.version) for c in await stored(backend, table_name)
    ]
    assert sorted(written) == [("account", 0), ("account", 0), ("account", 1), ("account", 2)]


async def test_account_commands_fold_into_the_balance(
    bank_store: EventStore, bank: ModuleType
) -> None:
    state, commit = await bank.execute(bank_store, "acc-1", lambda a: bank.open_account(a, "ada"))
    assert (state, commit.version) == ({"owner": "ada", "balance": 0}, 0)
    state, commit = await bank.execute(bank_store, "acc-1", lambda a: bank.deposit(a, 100_00))
    assert (state["balance"], commit.version) == (100_00, 1)
    state, commit = await bank.execute(
        bank_store, "acc-1", lambda a: bank.withdraw(a, "acc-1", 30_00)
    )
    assert (state["balance"], commit.version) == (70_00, 2)
    assert commit.events == [{"type": "Withdrawn", "amount": 30_00}]

    with pytest.raises(bank.InsufficientFunds) as caught:
        await bank.execute(bank_store, "acc-1", lambda a: bank.withdraw(a, "acc-1", 70_01))
    assert (caught.value.balance, caught.value.amount) == (70_00, 70_01)
    with pytest.raises(bank.Refused, match="belongs to ada"):
        await bank.execute(bank_store, "acc-1", lambda a: bank.open_account(a, "bob"))
    with pytest.raises(bank.Refused, match="not open"):
        await bank.execute(bank_store, "acc-2", lambda a: bank.deposit(a, 1))
    state, commit = await bank.execute(bank_store, "acc-1", lambda a: bank.open_account(a, "ada"))
    assert (state["balance"], commit) == (70_00, None)  # opened before: nothing to do

    # The refusals wrote nothing.
    assert [c.version for c in await bank_store.query("acc-1")] == [0, 1, 2]
    assert await bank_store.query("acc-2") == []
    assert await bank.load(bank_store, "acc-1") == ({"owner": "ada", "balance": 70_00}, 2)


async def test_a_snapshot_every_ten_commits_loads_the_same_balance(
    bank_store: EventStore, bank: ModuleType
) -> None:
    await bank.execute(bank_store, "acc-1", lambda a: bank.open_account(a, "ada"))
    for cents in range(1, 25):
        await bank.execute(bank_store, "acc-1", lambda a, cents=cents: bank.deposit(a, cents))
    snapshot = await bank_store.load_snapshot("acc-1")
    assert snapshot is not None
    # Versions 0 to 19 are 20 commits: the second multiple of ten.
    assert (snapshot.version, snapshot.state) == (19, {"owner": "ada", "balance": sum(range(20))})
    folded = bank.NEW_ACCOUNT
    for commit in await bank_store.query("acc-1"):
        for event in commit.events:
            folded = bank.evolve(folded, event)
    assert folded == {"owner": "ada", "balance": sum(range(25))}
    assert await bank.load(bank_store, "acc-1") == (folded, 24)
    state, _ = await bank.execute(bank_store, "acc-1", lambda a: bank.open_account(a, "ada"))
    assert state == folded


async def test_deposits_written_in_dollars_are_read_as_cents(
    bank_store: EventStore, bank: ModuleType, backend: Backend, table_name: str
) -> None:
    old = {"type": "Deposited", "dollars": 12.5}
    async with EventStore(table_name, session=backend.session, **backend.client_args()) as plain:
        await plain.append("acc-1", 0, [{"type": "Opened", "owner": "ada"}, old])
        state, commit = await bank.execute(
            bank_store, "acc-1", lambda a: bank.withdraw(a, "acc-1", 12_50)
        )
        assert (state, commit.version) == ({"owner": "ada", "balance": 0}, 1)
        [opened, _] = await plain.query("acc-1")
        assert opened.events[1] == old  # stored as it was written
    [opened, _] = await bank_store.query("acc-1")
    assert opened.events[1] == {"type": "Deposited", "amount": 12_50}


async def opened_accounts(
    store: EventStore, bank: ModuleType, *, ada: int = 0, **others: int
) -> None:
    """Open ada's account with ``ada`` cents, and the others' with theirs."""
    for owner, cents in {"ada": ada, **others}.items():
        await bank.execute(store, owner, lambda a, owner=owner: bank.open_account(a, owner))
        if cents:
            await bank.execute(store, owner, lambda a, cents=cents: bank.deposit(a, cents))


@on_servers_with_transactions
async def test_a_transfer_moves_the_money_once(bank_store: EventStore, bank: ModuleType) -> None:
    await opened_accounts(bank_store, bank, ada=50_00, bob=0)
    made = await bank.transfer(bank_store, "t1", "ada", "bob", 20_00)
    assert (made.aggregate_id, made.version) == ("transfer-t1", 0)
    assert await bank.load(bank_store, "ada") == ({"owner": "ada", "balance": 30_00}, 2)
    assert await bank.load(bank_store, "bob") == ({"owner": "bob", "balance": 20_00}, 1)

    assert await bank.transfer(bank_store, "t1", "ada", "bob", 20_00) == made  # repeated: no move
    assert (await bank.load(bank_store, "ada"))[0]["balance"] == 30_00
    with pytest.raises(bank.InsufficientFunds):
        await bank.transfer(bank_store, "t2", "ada", "bob", 30_01)
    with pytest.raises(bank.Refused, match="not open"):
        await bank.transfer(bank_store, "t3", "ada", "carol", 1)
    assert await bank_store.latest("transfer-t2") is None
    assert await bank_store.latest("transfer-t3") is None
    assert await bank.load(bank_store, "ada") == ({"owner": "ada", "balance": 30_00}, 2)
    assert await bank.load(bank_store, "bob") == ({"owner": "bob", "balance": 20_00}, 1)


@on_servers_with_transactions
async def test_a_transfer_that_lost_a_race_decides_again(
    bank_store: EventStore, bank: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One transfer at a time, and the other writer's withdrawal between its load and its
    # append: moto's server does not isolate concurrent transactions from each other.
    await opened_accounts(bank_store, bank, ada=50_00, bob=0)
    load = bank.load
    loaded: list[tuple[str, int]] = []

    async def load_then_lose_the_race(store: EventStore, account_id: str) -> Any:
        account, version = await load(store, account_id)
        if account_id == "ada" and not any(name == "ada" for name, _ in loaded):
            await bank.execute(store, "ada", lambda a: bank.withdraw(a, "ada", 20_00))
        loaded.append((account_id, account["balance"]))
        return account, version

    monkeypatch.setattr(bank, "load", load_then_lose_the_race)
    with pytest.raises(bank.InsufficientFunds):  # 30.00 left: the second decision refuses
        await bank.transfer(bank_store, "t1", "ada", "bob", 40_00)
    assert sorted(loaded) == [("ada", 30_00), ("ada", 50_00), ("bob", 0), ("bob", 0)]
    assert await bank_store.latest("transfer-t1") is None
    assert await load(bank_store, "ada") == ({"owner": "ada", "balance": 30_00}, 2)

    made = await bank.transfer(bank_store, "t2", "ada", "bob", 30_00)
    assert made.aggregate_id == "transfer-t2"
    assert await load(bank_store, "ada") == ({"owner": "ada", "balance": 0}, 3)
    assert await load(bank_store, "bob") == ({"owner": "bob", "balance": 30_00}, 1)


@pytest.mark.parametrize(
    "page", ["concepts.md", "migrating.md", "operations.md", "quickstart.md", "web-service.md"]
)
def test_the_json_on_each_page_parses(page: str) -> None:
    for block in code_blocks(page, "json"):
        json.loads(block)


def test_the_operations_page_shows_the_create_table_request_the_store_sends() -> None:
    requests = [json.loads(b) for b in code_blocks("operations.md", "json") if "TableName" in b]
    assert requests == [table_definition(DEFAULT_TABLE_NAME, DEFAULT_INDEX_NAME)]


def test_the_operations_page_states_the_client_defaults_in_force() -> None:
    text = (DOCS / "operations.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|", text, re.MULTILINE))
    defaults = vars(DEFAULT_CONFIG)
    assert set(defaults["_user_provided_options"]) <= set(rows), "a default is not on the page"
    assert json.loads(rows["retries"].strip("`")) == defaults["retries"]
    assert rows["connect_timeout"] == f"{defaults['connect_timeout']} s"
    assert rows["read_timeout"] == f"{defaults['read_timeout']} s"
    assert rows["max_pool_connections"] == str(defaults["max_pool_connections"])
    assert rows["parameter_validation"] == ("on" if defaults["parameter_validation"] else "off")
    assert rows["user_agent"] == "`aio-eventstore/<version> aiobotocore/<version>`"
    assert re.fullmatch(r"aio-eventstore/\S+ aiobotocore/\S+", defaults["user_agent"])
