"""Merge new answers into the existing record and complete the mesh with keys and addresses.

The rules (issue 2): the answers are the list of sites and win for every setting; a site
already in the record keeps its key pair, its tunnel address (unless the answers set another
one explicitly, or it no longer fits the tunnel network) and every preshared key it shares with
other sites already in the record. A site missing from the answers leaves the record, and its
keys with it. Whatever is still missing is made here: new keys, the lowest free addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from router_wg.errors import Problem
from router_wg.makeconf import keys
from router_wg.model import Mesh, Site, pair_key
from router_wg.model.mesh import is_usable_address, usable_addresses


@dataclass
class Merged:
    mesh: Mesh  # complete: every key and tunnel address present
    removed: list[str] = field(default_factory=list)  # fqdns that left the record
    notes: list[str] = field(default_factory=list)  # what the user should know


def key_problems(mesh: Mesh, file: str) -> list[Problem]:
    """A public key must belong to its private key; the message never shows either key."""
    problems = []
    for site in mesh.sites:
        if (
            site.private_key
            and site.public_key
            and keys.public_key(site.private_key) != site.public_key
        ):
            problems.append(
                Problem(
                    file,
                    f"site {site.fqdn}, field public_key",
                    "does not belong to private_key; remove public_key and makeconf derives it",
                )
            )
    return problems


def merge(answers: Mesh, record: Mesh | None) -> Merged:
    old = {site.fqdn: site for site in record.sites} if record else {}
    merged = Merged(mesh=answers)
    sites = [_with_keys(site, old.get(site.fqdn), merged.notes) for site in answers.sites]
    sites = _with_addresses(answers, sites, old, merged.notes)
    kept_psks = record.preshared_keys if record else {}
    preshared: dict[tuple[str, str], str] = {}
    for first_index, first in enumerate(sites):
        for second in sites[first_index + 1 :]:
            pair = pair_key(first.fqdn, second.fqdn)
            preshared[pair] = (
                kept_psks.get(pair)
                or answers.preshared_keys.get(pair)
                or keys.generate_preshared_key()
            )
    merged.removed = [fqdn for fqdn in old if fqdn not in {site.fqdn for site in sites}]
    if record is not None:
        merged.notes += _watchdog_changes(answers, record)
    merged.mesh = Mesh(answers.settings, tuple(sites), preshared)
    return merged


def _watchdog_changes(answers: Mesh, record: Mesh) -> list[str]:
    """Say so when the answers change the record's watchdog values (or drop them by leaving
    the table out, like any other setting): the record was perhaps edited by hand."""

    def shown(values) -> str:
        return ", ".join(f"{name} = {value}" for name, value in values) or "the defaults"

    changes = []
    if answers.settings.watchdog != record.settings.watchdog:
        changes.append(("[watchdog]", record.settings.watchdog, answers.settings.watchdog))
    kept = {site.fqdn: site for site in record.sites}
    for site in answers.sites:
        if site.fqdn in kept and site.watchdog != kept[site.fqdn].watchdog:
            table = f"{site.fqdn}'s [site.watchdog]"
            changes.append((table, kept[site.fqdn].watchdog, site.watchdog))
    return [
        f"{table}: now {shown(new)}, as the answers say (the record had {shown(old)})"
        for table, old, new in changes
    ]


def _with_keys(site: Site, kept: Site | None, notes: list[str]) -> Site:
    if kept is not None and kept.private_key:
        if site.private_key and site.private_key != kept.private_key:
            notes.append(
                f"{site.fqdn}: kept the keys of the existing record; the other keys "
                "in the answers were ignored"
            )
        return replace(site, private_key=kept.private_key, public_key=kept.public_key)
    private_key = site.private_key or keys.generate_private_key()
    return replace(site, private_key=private_key, public_key=keys.public_key(private_key))


def _with_addresses(
    answers: Mesh, sites: list[Site], old: dict[str, Site], notes: list[str]
) -> list[Site]:
    network = answers.settings.tunnel_network
    explicit = {site.tunnel_address for site in sites if site.tunnel_address is not None}
    chosen: list[Site] = []
    for site in sites:
        kept = old.get(site.fqdn)
        kept_address = kept.tunnel_address if kept else None
        if site.tunnel_address is None and kept_address is not None:
            if is_usable_address(network, kept_address) and kept_address not in explicit:
                site = replace(site, tunnel_address=kept_address)
                explicit.add(kept_address)
            else:
                notes.append(
                    f"{site.fqdn}: its tunnel address {kept_address} no longer fits "
                    f"(tunnel_network {network}, or another site claims it); "
                    "assigning a new one"
                )
        elif site.tunnel_address is not None and kept_address not in (None, site.tunnel_address):
            notes.append(
                f"{site.fqdn}: tunnel address changes from {kept_address} to "
                f"{site.tunnel_address}, as the answers say"
            )
        chosen.append(site)
    free = (address for address in usable_addresses(network) if address not in explicit)
    return [
        site if site.tunnel_address else replace(site, tunnel_address=next(free)) for site in chosen
    ]
