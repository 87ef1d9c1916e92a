"""Rules that span several fields or sites: names, endpoints, addresses and networks.

Each rule reports against the later of two clashing sites, naming the earlier one, so the
message points at the line the user most likely just added. Standard library only.
"""

from __future__ import annotations

from router_wg.bundle.site import watchdog_conflict
from router_wg.errors import Problem
from router_wg.fields import IPNetwork
from router_wg.model.mesh import Mesh, Site, is_usable_address


def site_where(index: int, site: Site) -> str:
    return f"site {site.fqdn}" if site.fqdn else f"site #{index + 1}"


def check_mesh(mesh: Mesh, file: str, *, minimum_sites: int = 2) -> list[Problem]:
    problems: list[Problem] = []

    def fail(where: str, field: str, message: str) -> None:
        problems.append(Problem(file, f"{where}, field {field}", message))

    if len(mesh.sites) < minimum_sites:
        problems.append(
            Problem(
                file,
                "[[site]]",
                f"the mesh has {len(mesh.sites)} site(s); "
                f"describe at least {minimum_sites} with [[site]] tables",
            )
        )
    _check_names_and_endpoints(mesh, fail)
    _check_tunnel_addresses(mesh, fail)
    _check_lans(mesh, fail)
    _check_watchdog(mesh, fail)
    settings = mesh.settings
    if settings.interface == "wg":
        fail(
            "[mesh]",
            "interface",
            "wg would name its WireGuard file wg.conf, which is "
            "router-wg's own settings file; pick another name (e.g. wg0)",
        )
    if settings.fallback_interface and settings.fallback_interface == settings.interface:
        fail(
            "[mesh]",
            "fallback_interface",
            f"is the WireGuard interface {settings.interface}; "
            "name the interface of the fallback VPN (e.g. tinc)",
        )
    return problems


def _check_names_and_endpoints(mesh: Mesh, fail) -> None:
    names: dict[str, int] = {}
    endpoints: dict[tuple[str, int], Site] = {}
    for index, site in enumerate(mesh.sites):
        where = site_where(index, site)
        folded = site.fqdn.lower()
        if site.fqdn and folded in names:
            fail(
                where,
                "fqdn",
                f"site #{names[folded] + 1} has the same name; every site needs its own fqdn",
            )
        names.setdefault(folded, index)
        if site.endpoint:
            dialled = (site.endpoint.lower(), mesh.port_of(site))
            other = endpoints.setdefault(dialled, site)
            if other is not site:
                fail(
                    where,
                    "endpoint",
                    f"{mesh.endpoint_of(site)} is also where {other.fqdn} is "
                    "dialled; give one of them another listen_port or endpoint",
                )


def _check_watchdog(mesh: Mesh, fail) -> None:
    """Values that pass alone but not together: against [watchdog] itself, and against a
    [site.watchdog] only when it is that table which makes them clash."""
    mesh_wide = watchdog_conflict(mesh.watchdog_of())
    if mesh_wide:
        fail("[watchdog]", _clashing_field(mesh.settings.watchdog), mesh_wide)
    for index, site in enumerate(mesh.sites):
        conflict = watchdog_conflict(mesh.watchdog_of(site))
        if site.watchdog and conflict and conflict != mesh_wide:
            fail(site_where(index, site), "watchdog." + _clashing_field(site.watchdog), conflict)


def _clashing_field(values: tuple[tuple[str, object], ...]) -> str:
    """Name the field the table sets: probe_timeout, or loop_interval if only that is set."""
    names = dict(values)
    if "loop_interval" in names and "probe_timeout" not in names:
        return "loop_interval"
    return "probe_timeout"


def _check_tunnel_addresses(mesh: Mesh, fail) -> None:
    network = mesh.settings.tunnel_network
    if network is None:
        return
    if network.num_addresses - (2 if network.num_addresses > 2 else 0) < len(mesh.sites):
        fail(
            "[mesh]",
            "tunnel_network",
            f"{network} has too few addresses for "
            f"{len(mesh.sites)} routers; use a larger network (e.g. a /24)",
        )
    used: dict[object, Site] = {}
    for index, site in enumerate(mesh.sites):
        address = site.tunnel_address
        if address is None:
            continue
        where = site_where(index, site)
        if not is_usable_address(network, address):
            fail(
                where,
                "tunnel_address",
                f"{address} is not a usable address of tunnel_network "
                f"{network}; pick one inside it or leave it out to have one assigned",
            )
        elif address in used:
            fail(
                where,
                "tunnel_address",
                f"{address} is also {used[address].fqdn}'s; every "
                "router needs its own (leave it out to have one assigned)",
            )
        used.setdefault(address, site)


def _check_lans(mesh: Mesh, fail) -> None:
    settings = mesh.settings
    seen: list[tuple[IPNetwork, Site]] = []
    for index, site in enumerate(mesh.sites):
        where = site_where(index, site)
        for lan in site.lans:
            tunnel = settings.tunnel_network
            if tunnel is not None and lan.version == tunnel.version and lan.overlaps(tunnel):
                fail(
                    where, "lans", f"{lan} overlaps tunnel_network {tunnel}; pick a LAN outside it"
                )
            fallback = settings.fallback_network
            if fallback is not None and (
                lan.version != fallback.version or not lan.subnet_of(fallback)
            ):
                fail(
                    where,
                    "lans",
                    f"{lan} is outside fallback_network {fallback}, so the "
                    "fallback VPN could not carry it; widen fallback_network or fix the LAN",
                )
            for other_lan, owner in seen:
                if lan.version == other_lan.version and lan.overlaps(other_lan):
                    whose = "another LAN of this site" if owner is site else f"{owner.fqdn}'s LAN"
                    fail(
                        where,
                        "lans",
                        f"{lan} overlaps {whose} {other_lan}; every LAN must be its own network",
                    )
            seen.append((lan, site))
