"""The stored format's pieces, without a server: commit ids, positions, sizes, JSON."""

from __future__ import annotations

import pytest

from aio_eventstore import Commit, InvalidPositionError, SerializationError
from aio_eventstore._events import decode_events, encode_events
from aio_eventstore._item import item_size
from aio_eventstore._position import format_commit_id, parse_position
from aio_eventstore._shards import index_key, index_keys, stable_hash


def commit(commit_id: str = "20240102030405678:agg-A", version: int = 3) -> Commit:
    return Commit(commit_id, 1_704_164_645_678, "agg-A", version, [{"n": 1}])


def test_the_commit_id_is_the_utc_time_as_17_digits_and_the_aggregate() -> None:
    assert format_commit_id(1_704_164_645_678, "agg-A") == "20240102030405678:agg-A"
    assert format_commit_id(0, "x") == "19700101000000000:x"
    assert format_commit_id(946_684_800_001, "a:b") == "20000101000000001:a:b"


def test_to_dict_is_the_seed_json_shape() -> None:
    assert commit().to_dict() == {
        "commitId": "20240102030405678:agg-A",
        "committedAt": 1_704_164_645_678,
        "aggregateId": "agg-A",
        "version": 3,
        "events": [{"n": 1}],
    }


def test_a_position_names_its_commit_exactly() -> None:
    assert parse_position(commit().position) == ("20240102030405678:agg-A", 3)
    odd = commit("20240102030405678:agg/with/slashes/7", 12)
    assert parse_position(odd.position) == ("20240102030405678:agg/with/slashes/7", 12)


@pytest.mark.parametrize(
    "position",
    [
        "",
        "/1",
        "20240102030405678:agg-A",
        "20240102030405678:agg-A/",
        "20240102030405678:a/-1",
        "20240102030405678:a/\uff11",
        "2024010203040567:a/1",
        "20240102030405678/1",
        None,
        3,
    ],
)
def test_malformed_positions_are_refused(position: object) -> None:
    with pytest.raises(InvalidPositionError):
        parse_position(position)


def test_commits_are_frozen() -> None:
    with pytest.raises(AttributeError):
        commit().version = 4  # type: ignore[misc]


def test_events_are_compact_json_as_json_stringify_writes_them() -> None:
    events = [{"type": "created", "name": "Zoë", "n": 1, "ok": True, "none": None}]
    assert encode_events(events) == '[{"type":"created","name":"Zoë","n":1,"ok":true,"none":null}]'


def test_lone_surrogates_are_escaped_so_the_text_is_utf8() -> None:
    text = encode_events(["\ud800"])
    assert text == '["\\ud800"]'
    assert decode_events(text) == ["\ud800"]


@pytest.mark.parametrize("text", ["not json", "{}", '"a"', "[1,", "NaN"])
def test_stored_text_that_is_not_a_json_list_raises_serialization_error(text: str) -> None:
    with pytest.raises(SerializationError):
        decode_events(text)


def test_item_size_counts_names_and_utf8_values() -> None:
    assert item_size({"ab": {"S": "é"}}) == 2 + 2
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert item_size({"n": {"N": "1000"}}) == 1 + 2
    assert item_size({"n": {"N": "0"}}) == 1 + 2


def test_the_shard_hash_is_stable_across_processes() -> None:
    assert stable_hash("123456789") == 0xCBF43926  # CRC-32's published check value
    assert index_key("agg-A", 1) == "t"
    assert index_keys(4) == ["t", "t1", "t2", "t3"]
    assert {index_key(f"agg-{n}", 4) for n in range(100)} == set(index_keys(4))
