"""Read a mesh file (an answer sheet, or makeconf's record with keys) into a `Mesh`.

Every problem is collected before anything is raised, so the user fixes the file in one go.
Each problem names the file, where (`[mesh], field listen_port`, `site beta.example.net,
field lans`, `line 7`) and what to do. Standard library only, no I/O: the caller reads the file.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from router_wg import fields
from router_wg.errors import ConfigError, Problem
from router_wg.model import checks
from router_wg.model.mesh import Mesh, Settings, Site, pair_key
from router_wg.model.schema import (
    MESH_OPTIONS,
    MESH_RECORD_OPTIONS,
    PAIR_OPTIONS,
    SITE_KEY_OPTIONS,
    SITE_OPTIONS,
    WATCHDOG_OPTIONS,
)
from router_wg.options import Option

_TOP_LEVEL = {"mesh": "[mesh]", "watchdog": "[watchdog]", "site": "[[site]]", "pair": "[[pair]]"}
_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def load_mesh(text: str, file: str, *, minimum_sites: int = 2) -> Mesh:
    """Parse and validate; raise `ConfigError` with every problem found."""
    problems: list[Problem] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _LINE.search(str(exc))
        where = f"line {match.group(1)}" if match else "syntax"
        raise ConfigError(
            [
                Problem(
                    file,
                    where,
                    f"not valid TOML: {exc}; fix the syntax "
                    "(`router-wg makeconf --help` lists every field)",
                )
            ]
        ) from None
    reader = _Reader(file, problems)
    for key in data:
        if key not in _TOP_LEVEL:
            reader.fail(
                "top level", key, "is not a mesh file section; use [mesh], [watchdog], [[site]]"
            )
    mesh_table = reader.table(data, "mesh", "[mesh]")
    settings_values = reader.read_fields(mesh_table, MESH_OPTIONS + MESH_RECORD_OPTIONS, "[mesh]")
    serial = settings_values.pop("serial", 0)
    settings_values["watchdog"] = reader.watchdog(data, "top level", "[watchdog]", "[watchdog]")
    sites = tuple(
        _read_site(reader, index, table)
        for index, table in enumerate(reader.array(data, "site", "[[site]]"))
    )
    preshared = _read_pairs(reader, reader.array(data, "pair", "[[pair]]"))
    settings_values.setdefault("tunnel_network", None)  # missing or invalid: reported above
    mesh = Mesh(Settings(**settings_values), sites, preshared, serial)
    problems.extend(checks.check_mesh(mesh, file, minimum_sites=minimum_sites))
    return _raise(problems) if problems else mesh


def _raise(problems: list[Problem]) -> Mesh:
    raise ConfigError(problems)


def site_where(index: int, table: dict[str, Any]) -> str:
    """`site alpha.example.net`, or `site #2` while the name itself is not valid."""
    fqdn = table.get("fqdn")
    try:
        return f"site {fields.host(fqdn)}" if isinstance(fqdn, str) else f"site #{index + 1}"
    except ValueError:
        return f"site #{index + 1}"


def _read_site(reader: _Reader, index: int, table: dict[str, Any]) -> Site:
    where = site_where(index, table)
    own = {key: value for key, value in table.items() if key != "watchdog"}
    values = reader.read_fields(own, SITE_OPTIONS + SITE_KEY_OPTIONS, where)
    values["watchdog"] = reader.watchdog(table, where, where, "[site.watchdog]", "watchdog.")
    if values.get("public_key") and not values.get("private_key"):
        reader.fail(
            where,
            "public_key",
            "is set without private_key; remove public_key and makeconf makes a new key pair",
        )
    values.setdefault("fqdn", "")  # invalid or missing: reported above, named by position
    return Site(**values)


def _read_pairs(reader: _Reader, tables: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    preshared: dict[tuple[str, str], str] = {}
    for index, table in enumerate(tables):
        where = f"pair #{index + 1}"
        values = reader.read_fields(table, PAIR_OPTIONS, where)
        names = values.get("sites")
        if names is None:
            continue
        if len(names) != 2 or not all(isinstance(n, str) for n in names) or names[0] == names[1]:
            reader.fail(
                where,
                "sites",
                'must name two different sites, e.g. ["alpha.example.net", "beta.example.net"]',
            )
            continue
        key = pair_key(*names)
        if key in preshared:
            reader.fail(
                where, "sites", f"{key[0]} and {key[1]} appear in two [[pair]] tables; keep one"
            )
        elif "preshared_key" in values:
            preshared[key] = values["preshared_key"]
    return preshared


class _Reader:
    """Type-checks tables against the declared options, collecting problems."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def fail(self, where: str, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, f"{where}, field {field}", message))

    def table(self, data: dict, key: str, where: str) -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problems.append(Problem(self.file, where, f"must be a table: write {where}"))
            return {}
        if key not in data:
            self.problems.append(
                Problem(
                    self.file,
                    where,
                    f"is missing; add a {where} table with at least tunnel_network",
                )
            )
        return value

    def array(self, data: dict, key: str, where: str) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problems.append(Problem(self.file, where, f"must be tables written {where}"))
            return []
        return value

    def watchdog(
        self, data: dict, container: str, where: str, table: str, prefix: str = ""
    ) -> tuple[tuple[str, Any], ...]:
        """The [watchdog] or [site.watchdog] values set, as (name, value) in schema order.
        `container` is where the table itself sits, `where` names its fields' place."""
        value = data.get("watchdog", {})
        if not isinstance(value, dict):
            self.fail(
                container,
                "watchdog",
                f"must be a table: write {table} on a line of its own, its fields below it",
            )
            return ()
        return tuple(self.read_fields(value, WATCHDOG_OPTIONS, where, prefix).items())

    def read_fields(
        self, table: dict, options: tuple[Option, ...], where: str, prefix: str = ""
    ) -> dict[str, Any]:
        """The parsed values of the fields present (or defaulted); problems for the rest.
        `prefix` names a sub-table in messages (`field watchdog.fall` of a site)."""
        known = {option.name for option in options}
        for key in table:
            if key not in known:
                self.fail(
                    where,
                    prefix + key,
                    f"is not a known field; known fields: {', '.join(sorted(known))}",
                )
        values: dict[str, Any] = {}
        for option in options:
            if option.name not in table:
                if option.required:
                    self.fail(
                        where,
                        prefix + option.name,
                        f"is missing; add it, e.g. {option.name} = {option.example}",
                    )
                elif option.default is not None:
                    values[option.name] = option.default
                continue
            try:
                values[option.name] = option.parse(table[option.name])
            except ValueError as exc:
                self.fail(where, prefix + option.name, str(exc))
        return values
