"""The package's layers, read from the sources: dependencies point down, and no module imports itself
back through others.

Layers, low to high: `sim.errors`; the engine-free model `sim.model`; the engines `sim.agent` and
`sim.vector` (side by side, neither imports the other); `sim.workflows`; `sim.present`; the
interfaces (the `sim` package's public API, the command lines `python -m sim.X` and the dashboard).
Every import counts, also one inside a function; one under `if TYPE_CHECKING:` counts for the layers
but not for cycles (it never runs).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = (  # (name, module prefixes), low to high; the rest of `sim` is the interfaces
    ("errors", ("sim.errors",)),
    ("model", ("sim.model",)),
    ("engines", ("sim.agent", "sim.vector")),
    ("workflows", ("sim.workflows",)),
    ("present", ("sim.present",)),
)
INTERFACES = "interfaces"
ENGINES = ("sim.agent", "sim.vector")
# The command lines (and what they share, sim.cli): the dashboard's pages import library code only.
COMMAND_LINES = ("sim.run", "sim.compare", "sim.sweep", "sim.calibrate", "sim.sensitivity", "sim.city_import",
                 "sim.cli", "sim.install_calibration")
DASHBOARD_COMMAND = "sim.dashboard.__main__"  # the dashboard's own command line: may use sim.cli
NOT_IN_THE_MODEL = ("mesa", "argparse")


@dataclass(frozen=True)
class Import:
    target: str  # the imported module (a module of `sim`, or the top-level name of another package)
    line: int
    text: str  # as written, for messages
    type_only: bool  # under `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted((ROOT / "sim").rglob("*.py"))}


def _resolve(name: str) -> str:
    """The module of `sim` an imported name lives in (a name imported from a package is a module when
    one exists by that name), or the top-level package of another distribution."""
    if not name.startswith("sim"):
        return name.split(".")[0]
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(module: str) -> list[Import]:
    """Every import of `module`, at any depth (functions, classes, conditionals)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(_resolve(a.name), child.lineno, f"import {a.name}", type_only) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                text = f"from {'.' * child.level}{child.module or ''} import {', '.join(a.name for a in child.names)}"
                found.extend(Import(_resolve(f"{base}.{a.name}"), child.lineno, text, type_only) for a in child.names)
            else:
                visit(child, type_only or (isinstance(child, ast.If) and _is_type_checking(child)))

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


GRAPH = {m: imports(m) for m in MODULES}


def layer(module: str) -> int:
    """The layer's index, low to high (the interfaces last)."""
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return len(LAYERS)


def layer_name(module: str) -> str:
    i = layer(module)
    return LAYERS[i][0] if i < len(LAYERS) else INTERFACES


def _where(module: str, imp: Import) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{imp.line} ({module}, {layer_name(module)}): {imp.text}"


def test_the_reader_sees_every_layer():
    """The test reads what it should: modules of every layer, their imports, and a known edge."""
    assert {layer_name(m) for m in MODULES} == {name for name, _ in LAYERS} | {INTERFACES}
    assert "sim.model.config" in {i.target for i in GRAPH["sim.model.checks"]}
    assert "sim.workflows.compare" in {i.target for i in GRAPH["sim.present.page"] if i.type_only}


def test_no_layer_imports_a_higher_one():
    bad = [f"{_where(m, i)} imports {i.target} ({layer_name(i.target)})"
           for m, found in GRAPH.items() for i in found
           if i.target in MODULES and layer(i.target) > layer(m)]
    assert not bad, "a lower layer imports a higher one:\n" + "\n".join(bad)


def test_the_engines_do_not_import_each_other():
    def engine(module: str) -> str | None:
        return next((e for e in ENGINES if module == e or module.startswith(e + ".")), None)

    bad = [f"{_where(m, i)}" for m, found in GRAPH.items() for i in found
           if engine(m) and engine(i.target) and engine(i.target) != engine(m)]
    assert not bad, "one engine imports the other:\n" + "\n".join(bad)


@pytest.mark.parametrize("package", NOT_IN_THE_MODEL)
def test_the_model_needs_neither_mesa_nor_argparse(package):
    bad = [_where(m, i) for m, found in GRAPH.items() for i in found
           if layer_name(m) in ("errors", "model") and i.target == package]
    assert not bad, f"the engine-free model imports {package}:\n" + "\n".join(bad)


def test_the_dashboard_imports_no_command_line():
    bad = [_where(m, i) for m, found in GRAPH.items() for i in found
           if m.startswith("sim.dashboard") and i.target in COMMAND_LINES
           and not (m == DASHBOARD_COMMAND and i.target == "sim.cli")]
    assert not bad, "the dashboard imports a command line (import the library under it instead):\n" + "\n".join(bad)


def cycles() -> list[list[str]]:
    """Every import cycle among the modules of `sim` (imports that run, i.e. not type-only), each
    once: the strongly connected components (Tarjan) of more than one module, or a self-import."""
    edges = {m: sorted({i.target for i in found if i.target in MODULES and not i.type_only})
             for m, found in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def connect(m: str) -> None:
        index[m] = low[m] = len(index)
        stack.append(m)
        for n in edges[m]:
            if n not in index:
                connect(n)
                low[m] = min(low[m], low[n])
            elif n in stack:
                low[m] = min(low[m], index[n])
        if low[m] == index[m]:
            component = []
            while True:
                n = stack.pop()
                component.append(n)
                if n == m:
                    break
            if len(component) > 1 or m in edges[m]:
                out.append(sorted(component))

    for m in edges:
        if m not in index:
            connect(m)
    return out


def _cycle_path(component: list[str]) -> str:
    """The shortest cycle through a component's first module, as `a -> b -> a` with its import lines."""
    members, start = set(component), component[0]
    came: dict[str, tuple[str, Import]] = {}
    queue = [start]
    while queue:
        here = queue.pop(0)
        for imp in GRAPH[here]:
            if imp.target not in members or imp.type_only:
                continue
            if imp.target == start:
                steps = [(here, imp)]
                while steps[0][0] != start:
                    steps.insert(0, came[steps[0][0]])
                return " -> ".join([start, *(i.target for _, i in steps)]) + "".join(
                    f"\n  {_where(m, i)}" for m, i in steps)
            if imp.target not in came:
                came[imp.target] = (here, imp)
                queue.append(imp.target)
    return " -> ".join(component)


def test_no_import_cycles():
    found = cycles()
    assert not found, "import cycles:\n" + "\n".join(_cycle_path(c) for c in found)


def test_a_cycle_and_its_lines_are_named(monkeypatch):
    """The cycle finder itself: a cycle made up on top of the real graph is found and named."""
    fake = {"sim.model.rules": Import("sim.model.costs", 1, "import sim.model.costs", False)}
    monkeypatch.setitem(GRAPH, "sim.model.rules", [*GRAPH["sim.model.rules"], fake["sim.model.rules"]])
    found = cycles()
    assert any({"sim.model.rules", "sim.model.costs"} <= set(c) for c in found)
    text = "\n".join(_cycle_path(c) for c in found)
    assert "sim.model.rules" in text and "import sim.model.costs" in text
