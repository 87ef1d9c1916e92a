"""The steps of makeconf, shared by `--answers` and the wizard.

read (validate everything) -> build (merge, keys, render: all in memory) -> write -> report.
Nothing touches the output folder before `write`, so invalid input leaves it as it was.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from router_wg.bundle.render import render_bundle
from router_wg.errors import ConfigError, Problem, UserError
from router_wg.makeconf import write as output
from router_wg.makeconf.bundles import next_serial, site_bundle, stamp_of
from router_wg.makeconf.merge import Merged, key_problems, merge
from router_wg.model import Mesh, load_mesh
from router_wg.render.record import render_record


def read_mesh_file(path: Path) -> Mesh:
    """Load and validate a mesh file (answers or record), keys included."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    "file",
                    "not found; give the path of a mesh "
                    "file (see router_wg/examples/three-sites.toml)",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError([Problem(str(path), "file", f"cannot be read: {reason}")]) from None
    return _checked_mesh(text, str(path))


def _checked_mesh(text: str, name: str) -> Mesh:
    mesh = load_mesh(text, name)
    problems = key_problems(mesh, name)
    if problems:
        raise ConfigError(problems)
    return mesh


def read_record(folder: output.OutputFolder) -> Mesh | None:
    """The existing record in the output folder, if there is one (read without following a link)."""
    path = folder.path / output.RECORD_FILE
    hint = Problem(
        str(path),
        "file",
        "this is makeconf's own record of the mesh; fix it, "
        "or move it away to start a new mesh with new keys",
    )
    try:
        data = folder.read_record()
        return None if data is None else _checked_mesh(data.decode("utf-8"), str(path))
    except ConfigError as exc:
        raise ConfigError([*exc.problems, hint]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError([Problem(str(path), "file", f"cannot be read: {reason}"), hint]) from None


@dataclass
class Build:
    merged: Merged
    record_text: str
    bundles: dict[str, dict[str, str]]  # fqdn -> file name -> text
    warnings: list[str] = field(default_factory=list)


def build(answers: Mesh, record: Mesh | None) -> Build:
    merged = merge(answers, record)
    mesh = replace(merged.mesh, serial=next_serial(merged.mesh, record or answers))
    merged.mesh = mesh
    stamp = stamp_of(mesh)
    bundles = {site.fqdn: render_bundle(*site_bundle(mesh, site, stamp)) for site in mesh.sites}
    fallback = (
        f"their traffic takes the fallback route {mesh.settings.fallback_network}"
        if mesh.settings.fallback_network
        else "set fallback_network if a fallback VPN joins them"
    )
    warnings = [
        f"{a.fqdn} and {b.fqdn}: neither has an endpoint, so they are not WireGuard peers; "
        f"{fallback}"
        for a, b in mesh.unreachable_pairs()
    ]
    return Build(merged, render_record(mesh), bundles, warnings)


def write(folder: output.OutputFolder, result: Build, record: Mesh | None) -> list[str]:
    """Write everything; return what was made private or removed, for the report."""
    messages = folder.write(result.record_text, result.bundles)
    if record is not None and record.settings.interface != result.merged.mesh.settings.interface:
        for fqdn in result.bundles:
            folder.remove_old_wireguard_file(fqdn, record.settings.interface)
    for fqdn in result.merged.removed:
        messages.append(
            f"{fqdn}: no longer in the mesh; its keys left the record; {folder.remove_bundle(fqdn)}"
        )
    return messages


def report(out_dir: Path, result: Build) -> str:
    mesh = result.merged.mesh
    interface = mesh.settings.interface
    lines = [
        f"Wrote the mesh record {out_dir / output.RECORD_FILE}: keep it safe and private, it "
        "holds every key, and makeconf needs it to change the mesh later.",
        "Bundles, one per router: copy the files of each folder to that router, for example "
        "to /jffs/router-wg/:",
    ]
    width = max(len(site.fqdn) for site in mesh.sites)
    for site in mesh.sites:
        lines.append(f"  {site.fqdn:<{width}}  {out_dir / site.fqdn}/  ({interface}.conf, wg.conf)")
    first = mesh.sites[0].fqdn
    lines.append(f"e.g.  scp -p {out_dir / first}/* root@{first}:/jffs/router-wg/")
    return "\n".join(lines)


def finish(folder: output.OutputFolder, answers: Mesh, record: Mesh | None) -> int:
    """Build, write and report: the end of `makeconf --answers` and of the wizard."""
    result = build(answers, record)
    for line in result.merged.notes:
        print(f"router-wg makeconf: note: {line}", file=sys.stderr)
    for line in result.warnings:
        print(f"router-wg makeconf: warning: {line}", file=sys.stderr)
    try:
        messages = write(folder, result, record)
    except OSError as exc:
        where = exc.filename or folder.path
        raise UserError(
            f"cannot write {where}: {exc.strerror}; fix that and run makeconf again (each "
            "file is replaced whole, and keys already in the record are kept)"
        ) from None
    for line in messages:
        print(f"router-wg makeconf: {line}", file=sys.stderr)
    print(report(folder.path, result))
    return 0
