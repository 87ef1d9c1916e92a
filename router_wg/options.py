"""One field of a TOML settings file, declared once: its name, type, meaning, example, check
and default. The declarations drive the file's reader, the wizard's questions and the
documentation: mesh.toml's in router_wg.model.schema, wg.conf's in
router_wg.bundle.settings_schema. Standard library only: the router reads wg.conf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


# A NamedTuple rather than a frozen dataclass: `check` imports it every minute, to read
# wg.conf, and a NamedTuple class is several times cheaper to define. The order of its fields
# is part of it: declarations pass them by position, and wg.conf's reader unpacks them.
class Option(NamedTuple):
    name: str
    kind: type  # str, int, float (a whole number is accepted too), bool or list (of strings)
    help: str
    example: str
    check: Callable[[Any], Any] | None = None  # returns the parsed value or raises ValueError
    default: Any = None  # used when the field is left out (None: optional, no value)
    required: bool = False

    def parse(self, value: Any) -> Any:
        """Type check, then the field's own check; raise ValueError with the message."""
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if (isinstance(value, bool) and self.kind is not bool) or not isinstance(value, self.kind):
            raise ValueError(f"must be {KIND_NAMES[self.kind]}, e.g. {self.example}")
        return self.check(value) if self.check else value

    def from_text(self, text: str) -> Any:
        """What the wizard does with a typed answer: convert it to the field's type, then check."""
        text = text.strip()
        if self.kind in (int, float):
            try:
                value: Any = self.kind(text)
            except ValueError:
                raise ValueError(
                    f"{text!r} is not {KIND_NAMES[self.kind]} (e.g. {self.example})"
                ) from None
        elif self.kind is bool:
            if text.lower() not in ("y", "yes", "n", "no", "true", "false"):
                raise ValueError("answer yes or no")
            value = text.lower() in ("y", "yes", "true")
        elif self.kind is list:
            value = [item.strip() for item in text.replace(",", " ").split() if item.strip()]
        else:
            value = text
        return self.parse(value)


KIND_NAMES = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
}
