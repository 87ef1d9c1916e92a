"""A small, strict TOML writer for the files makeconf writes (Python reads TOML, never writes it).

It knows exactly what our schemas use: tables and arrays of tables of bare keys, whose values
are strings, integers, floats, booleans and lists of those. Anything else is a bug and raises
TypeError rather than writing something tomllib would read back differently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def value(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float) and math.isfinite(item):
        return repr(item)
    if isinstance(item, str):
        return string(item)
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(element) for element in item) + "]"
    raise TypeError(f"cannot write {type(item).__name__} as TOML")


def key(name: str) -> str:
    if not _BARE_KEY.match(name):
        raise TypeError(f"not a bare TOML key: {name!r}")
    return name


def table(header: str, fields: Mapping[str, object]) -> str:
    """`[header]` or `[[header]]` and its fields in the given order; None values left out."""
    lines = [header]
    lines += [f"{key(name)} = {value(item)}" for name, item in fields.items() if item is not None]
    return "\n".join(lines) + "\n"


def document(comment_lines: Iterable[str], tables: Iterable[str]) -> str:
    head = "".join(f"# {line}\n" for line in comment_lines)
    return head + "\n" + "\n".join(tables)
