"""The layering of ARCHITECTURE.md, read from the source: every `import` of a router_wg
module (at the top or inside a function) must go to its own layer or one below, and no
chain of imports may lead back to where it started.

    base        errors, paths, marks, files, fields, options, events  (nothing of ours)
    bundle      the site bundle's data, files, renderer
    backends    side effects, each behind a narrow interface
    model       the mesh model                          (its watchdog limits are the bundle's)
    render      the mesh record's text
    converge    the resources, the planner, the applier, the service
    watchdog    probes, health, its state, the tick (which converges through the service)
    makeconf    keys, merge, writing, the wizard
    commands    one module per verb, and the dispatcher; no command imports another
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "router_wg"
BASE = {"router_wg", "errors", "paths", "marks", "files", "fields", "options", "events"}
# layer -> the layers it may import from (besides itself)
ALLOWED: dict[str, set[str]] = {
    "base": set(),
    "bundle": {"base"},
    "backends": {"base"},
    "model": {"base", "bundle"},
    "render": {"base", "bundle", "model"},
    "converge": {"base", "bundle", "backends"},
    "watchdog": {"base", "bundle", "backends", "converge"},
    "makeconf": {"base", "bundle", "model", "render"},
    "commands": {"base", "bundle", "backends", "model", "render", "watchdog", "converge"}
    | {"makeconf"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "router_wg"
    if top in BASE:
        return "base"
    if top in ("cli", "__main__"):
        return "commands"
    return top


def imports_of(path: Path) -> set[str]:
    """The router_wg modules `path` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from router_wg.x import y`: y may be a module
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in MODULES else node.module)
    return {name for name in found if name.split(".")[0] == "router_wg"}


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


def test_every_layer_is_known():
    assert {layer_of(m) for m in MODULES} <= set(ALLOWED)


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{module} ({layer_of(module)}) imports {target} ({layer_of(target)})"
        for module, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if layer_of(target) != layer_of(module)
        and layer_of(target) not in ALLOWED[layer_of(module)]
    ]
    assert upward == []


def test_backends_use_nothing_but_the_base_and_each_other():
    for module, targets in GRAPH.items():
        if layer_of(module) == "backends":
            assert {layer_of(t) for t in targets} <= {"base", "backends"}, module


def test_no_command_imports_another():
    """A verb's module is its own: what two verbs share lives in a layer below them."""
    crossing = [
        f"{module} imports {target}"
        for module, targets in sorted(GRAPH.items())
        if module.startswith("router_wg.commands.")
        for target in sorted(targets)
        if target.startswith("router_wg.commands.") and target != "router_wg.commands"
    ]
    assert crossing == []


def test_no_import_cycle():
    cycles = []
    for start in sorted(GRAPH):
        path = _path_back(start, start, set())
        if path:
            cycles.append(" -> ".join([start, *path]))
    assert cycles == []


def _path_back(start: str, at: str, seen: set[str]) -> list[str] | None:
    for target in sorted(GRAPH.get(at, ())):
        if target == start:
            return [target]
        if target not in seen:
            seen.add(target)
            rest = _path_back(start, target, seen)
            if rest:
                return [target, *rest]
    return None


def test_the_checker_sees_an_upward_import_a_cycle_and_a_command_importing_another():
    """The rules above must be able to fail: a backend importing the planner is upward,
    two modules importing each other are a cycle, check importing start crosses verbs."""
    assert "converge" not in ALLOWED[layer_of("router_wg.backends.cron")]
    saved = dict(GRAPH)
    try:
        GRAPH["router_wg.backends.cron"] = {"router_wg.converge.planner"}
        GRAPH["router_wg.converge.planner"] = {"router_wg.backends.cron"}
        assert _path_back("router_wg.backends.cron", "router_wg.backends.cron", set())
        GRAPH["router_wg.commands.check"] = {"router_wg.commands.start"}
        with pytest.raises(AssertionError, match="commands.check imports"):
            test_no_command_imports_another()
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
