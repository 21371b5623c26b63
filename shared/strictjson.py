"""Strict JSON for request bodies: UTF-8 only, finite numbers, bounded nesting, no U+0000.

RFC 8259 says JSON exchanged between systems is UTF-8. Python's ``json.loads(bytes)`` also
guesses UTF-16 and UTF-32 and skips a UTF-8 byte-order mark, so a body could be accepted and
then stored as text that no longer parses. Python also reads ``1e400`` as ``inf``, which
``json.dumps`` writes back as the bare word ``Infinity`` that browsers refuse. PostgreSQL
cannot store U+0000 in text or JSONB. Everything a service accepts passes through
:func:`loads`, which refuses all of these with the path of the field at fault.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
INT_MAX = 2**63 - 1  # what a database integer column holds


class BadJson(ValueError):
    """The body is not strict JSON; ``field`` is the path of the value at fault."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.field = field


def _reject_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON number")


def decode(raw: bytes) -> str:
    """The body's text: UTF-8 without a byte-order mark, else :class:`BadJson`."""
    if raw.startswith(b"\xef\xbb\xbf") or raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise BadJson("the body starts with a byte-order mark: send UTF-8 JSON without one")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJson(f"the body is not UTF-8 (byte {exc.start})") from None


def loads(text: str) -> Any:
    """Parse ``text`` and check every value (see the module's docstring)."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except BadJson:
        raise
    except RecursionError:
        raise BadJson(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of over 4300 digits
        raise BadJson(f"the body is not valid JSON: {exc}") from None
    check(value)
    return value


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "body"


def check(value: Any) -> None:
    """Raise :class:`BadJson` naming the first value that is too deep, infinite or has NUL."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise BadJson(f"the body nests deeper than {MAX_DEPTH} levels", _path(path[:1]))
        if isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise BadJson("a key holds the character U+0000", _path(path))
                stack.append((child, [*path, key]))
        elif isinstance(item, list):
            stack.extend((child, [*path, i]) for i, child in enumerate(item))
        elif isinstance(item, str):
            if "\x00" in item:
                raise BadJson(f"{_path(path)} holds the character U+0000", _path(path))
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise BadJson(f"{_path(path)} is not a finite number", _path(path))
        elif isinstance(item, int) and not -INT_MAX <= item <= INT_MAX:
            raise BadJson(f"{_path(path)} is out of range (at most {INT_MAX})", _path(path))
