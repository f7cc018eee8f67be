"""Events to JSON text and back, as dynamodb-event-store stores them.

Events are stored as compact JSON text, as JavaScript's ``JSON.stringify`` writes it, so that
both libraries read each other's commits. Only values that come back from JSON unchanged are
accepted: ``dict`` with ``str`` keys, ``list`` (and ``tuple``, which comes back as a list),
``str``, ``int``, finite ``float``, ``bool`` and ``None``. Anything else is refused with a
``SerializationError`` that names where it is, rather than silently changed.
"""

from __future__ import annotations

import json
import math
from json.scanner import make_scanner
from typing import Any

from ._exceptions import SerializationError

__all__ = ["decode_events", "decode_json", "encode_events", "encode_json", "to_json"]

_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
# Lone surrogates are not UTF-8: such text is escaped, as JSON.stringify does.
_compact_ascii = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def _refuse_constant(name: str) -> float:
    # JSON has no NaN or Infinity; Python's decoder accepts them unless told otherwise.
    raise ValueError(f"{name} is not JSON")


_decoder = json.JSONDecoder(parse_constant=_refuse_constant)
# The C scanner alone: a third of decode()'s cost for an event list, which is spent on
# matching whitespace around a text that the writers never put any around.
_scan = make_scanner(_decoder)  # type: ignore[arg-type]  # typeshed types its context oddly


def encode_events(events: list[Any] | tuple[Any, ...]) -> str:
    """The JSON text that stores ``events``, or ``SerializationError``."""
    return encode_json(events, "events")


def encode_json(value: object, what: str) -> str:
    """The JSON text that stores ``value``, or ``SerializationError`` naming it ``what``."""
    _check_json(value, what)
    try:
        return to_json(value)
    except RecursionError:
        raise SerializationError(f"{what} are nested too deeply to encode") from None


def to_json(value: object) -> str:
    """Compact JSON text, as ``JSON.stringify`` writes it; ``ValueError`` for NaN."""
    text = _compact(value)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return _compact_ascii(value)
    return text


def decode_events(text: str) -> list[Any]:
    """The events stored as ``text``, or ``SerializationError``."""
    events = decode_json(text, "events")
    if not isinstance(events, list):
        raise SerializationError(f"stored events are a JSON {type(events).__name__}, not a list")
    return events


def decode_json(text: str, what: str) -> Any:  # noqa: ANN401 - any JSON value
    """The JSON value stored as ``text`` (called ``what`` in errors), or ``SerializationError``."""
    try:
        value, end = _scan(text, 0)
    except (StopIteration, ValueError, RecursionError):
        end = -1
    if end != len(text):  # not one compact JSON value: let the full decoder judge it
        try:
            value = _decoder.decode(text)
        except (ValueError, RecursionError) as exc:
            raise SerializationError(f"stored {what} are not valid JSON: {exc}") from exc
    return value


def _check_json(value: object, path: str) -> None:
    # A recursive walk costs about a microsecond per event; the exact error is worth it.
    try:
        _walk(value, path)
    except RecursionError:
        raise SerializationError(f"{path} are nested too deeply to encode") from None


def _walk(value: object, path: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SerializationError(f"{path} is {value!r}, which JSON cannot represent")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SerializationError(
                    f"{path} has the key {key!r}: JSON object keys are str, "
                    f"not {type(key).__name__}"
                )
            _walk(item, f"{path}[{key!r}]")
        return
    raise SerializationError(f"{path}: {type(value).__name__} is not a JSON type")
