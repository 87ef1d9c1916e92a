"""The TOML writer: whatever it writes, tomllib reads back as the same value."""

from __future__ import annotations

import tomllib

import pytest

from router_wg.bundle import toml

AWKWARD = [
    "plain",
    'quote " inside',
    "back\\slash",
    "new\nline",
    "tab\tand\rreturn",
    "bell\x07 del\x7f nul\x00",
    "ünïcödé ✓",
    "'single'",
    "#not a comment",
    "=",
    "",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_strings_round_trip(text: str) -> None:
    written = toml.table("[t]", {"value": text, "list": [text, text]})
    assert tomllib.loads(written)["t"] == {"value": text, "list": [text, text]}
    assert written.count("\n") == 3  # one line per field: no raw newline escaped into the value


def test_values_of_every_kind_round_trip() -> None:
    fields = {"n": 51820, "yes": True, "no": False, "f": 2.0, "empty": [], "nums": [1, 2]}
    document = toml.document(["a comment"], [toml.table("[a]", fields), toml.table("[[b]]", {})])
    assert tomllib.loads(document) == {"a": fields, "b": [{}]}


def test_none_fields_are_left_out() -> None:
    assert tomllib.loads(toml.table("[a]", {"x": None, "y": 1})) == {"a": {"y": 1}}


@pytest.mark.parametrize("bad", [object(), {"a": 1}, float("nan"), b"bytes"])
def test_anything_else_is_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        toml.value(bad)


def test_keys_must_be_bare() -> None:
    with pytest.raises(TypeError):
        toml.table("[a]", {"two words": 1})
