"""The interface every resource offers: what the bundle wants of it, what of it is there
now (router-wg's own objects only), and the difference as actions.

`wanted` is pure. `observe` reads the system; when stopping it gets no wanted state and
reports everything of ours it finds. `changes(wanted, observed)` is pure: `wanted` None means
"stop": every object of ours goes. `settle`, if given, runs after a run whose actions all
succeeded (forgetting a marker file that no longer applies, say).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from router_wg.converge.action import Action
from router_wg.converge.inputs import Inputs
from router_wg.converge.system import System


@dataclass(frozen=True)
class Resource:
    name: str
    wanted: Callable[[Inputs], Any]
    observe: Callable[[System, Inputs, Any], Any]
    changes: Callable[[Any, Any], list[Action]]
    settle: Callable[[System, Any], None] | None = None
