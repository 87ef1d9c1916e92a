"""The watchdog's cron entry, one per router under the id `router-wg` (cru on FreshTomato,
root's crontab elsewhere: backends.cron)."""

from __future__ import annotations

from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.resource import Resource
from router_wg.converge.system import System


def wanted(inputs: Inputs) -> str:
    return inputs.cron_line


def observe(system: System, inputs: Inputs, wanted: str | None) -> tuple[str, ...]:
    """Our entries (schedule + command), id stripped."""
    return system.cron.entries()


def changes(wanted: str | None, observed: tuple[str, ...]) -> list[Action]:
    if wanted is None:
        return [_actions().RemoveCron(observed)] if observed else []
    return [] if observed == (wanted,) else [_actions().AddCron(wanted, observed)]


def _actions():
    """This resource's actions, imported only when something must change: a no-op start
    (every firewall restart) defines none of them."""
    from router_wg.converge.resources.cron import actions

    return actions


CRON = Resource("cron", wanted, observe, changes)
