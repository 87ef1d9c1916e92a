"""The steps of makeconf, shared by `--answers` and the wizard.

read (validate everything) -> build (merge, keys, render: all in memory) -> write -> report.
Nothing touches the output folder before `write`, so invalid input leaves it as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from router_wg.errors import ConfigError, Problem
from router_wg.makeconf import write as output
from router_wg.makeconf.merge import Merged, key_problems, merge
from router_wg.model import Mesh, load_mesh
from router_wg.render.bundle import render_bundle
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
    mesh = load_mesh(text, str(path))
    problems = key_problems(mesh, str(path))
    if problems:
        raise ConfigError(problems)
    return mesh


def read_record(out_dir: Path) -> Mesh | None:
    """The existing record in the output folder, if there is one."""
    path = out_dir / output.RECORD_FILE
    if not path.exists():
        return None
    try:
        return read_mesh_file(path)
    except ConfigError as exc:
        hint = Problem(
            str(path),
            "file",
            "this is makeconf's own record of the mesh; fix it, "
            "or move it away to start a new mesh with new keys",
        )
        raise ConfigError([*exc.problems, hint]) from None


@dataclass
class Build:
    merged: Merged
    record_text: str
    bundles: dict[str, dict[str, str]]  # fqdn -> file name -> text
    warnings: list[str] = field(default_factory=list)


def build(answers: Mesh, record: Mesh | None) -> Build:
    merged = merge(answers, record)
    mesh = merged.mesh
    bundles = {site.fqdn: render_bundle(mesh, site) for site in mesh.sites}
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


def write(out_dir: Path, result: Build, record: Mesh | None) -> list[str]:
    """Write everything; return what was removed, for the report."""
    output.write_output(out_dir, result.record_text, result.bundles)
    messages = []
    if record is not None and record.settings.interface != result.merged.mesh.settings.interface:
        for fqdn in result.bundles:
            output.remove_old_wireguard_file(out_dir, fqdn, record.settings.interface)
    for fqdn in result.merged.removed:
        messages.append(
            f"{fqdn}: no longer in the mesh; its keys left the record; "
            f"{output.remove_bundle(out_dir, fqdn)}"
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
