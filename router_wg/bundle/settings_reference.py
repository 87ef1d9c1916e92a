"""README's "wg.conf: reference" section, rendered from wg.conf's declarations
(router_wg.bundle.settings_schema), so the documentation says what the reader reads.
tests/unit/test_settings_schema.py fails when README's section differs from this.

    python -m router_wg.bundle.settings_reference     prints the section to paste into README
"""

from __future__ import annotations

from router_wg.bundle import toml
from router_wg.bundle.settings_schema import TABLES, WATCHDOG, Table
from router_wg.bundle.site import WATCHDOG_LIMITS, WATCHDOG_MODES
from router_wg.options import KIND_NAMES, Option

HEADING = "## wg.conf: reference"
INTRO = """\
`wg.conf` is router-wg's own settings file in each site's bundle, beside `<interface>.conf`.
makeconf writes it (TOML, no secrets) from `mesh.toml`; `start`, `stop`, `plan`, `show` and
`check` read it, and refuse a file with any problem (exit code 3, nothing changed), naming
the file, the table and the field. To change it, change `mesh.toml` and run makeconf again:
a hand edit is checked the same way, but the next makeconf run writes over it."""


def render_reference() -> str:
    parts = [HEADING, INTRO, *(_table(table) for table in TABLES)]
    return "\n\n".join(parts) + "\n"


def _table(table: Table) -> str:
    need = " (required)" if table.required else ""
    rows = [
        f"`{table.header}`{need}, {table.help}:",
        "",
        "| field | meaning | type | default |",
        "|---|---|---|---|",
    ]
    rows += [
        f"| `{o.name}` | {o.help} | {_type(table, o)} | {_default(o)} |" for o in table.options
    ]
    return "\n".join(rows)


def _type(table: Table, option: Option) -> str:
    kind = KIND_NAMES[option.kind]
    if table is WATCHDOG and option.name in WATCHDOG_LIMITS:
        limit = WATCHDOG_LIMITS[option.name]
        return f"{kind}, {limit.low:g} to {limit.high:g} {limit.unit}"
    if table is WATCHDOG:  # the mode
        return f'{kind}, `"{WATCHDOG_MODES[0]}"` or `"{WATCHDOG_MODES[1]}"`'
    return f"{kind}, e.g. `{option.example}`"


def _default(option: Option) -> str:
    if option.required:
        return "required"
    return "none" if option.default is None else f"`{toml.value(option.default)}`"


if __name__ == "__main__":
    print(render_reference(), end="")
