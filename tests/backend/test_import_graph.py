"""The arrows between the rooms run one way (README, "Map of the code").

Every module under ``backend/opcms`` is read with ``ast`` (never imported): module-level and
function-level imports, ``import x`` and ``from x import y``, relative imports resolved, imports
under ``if TYPE_CHECKING:`` too (a type named is a dependency), and modules loaded by name
(``importlib.import_module``). Each module belongs to a domain, the first package under
``opcms``, except the plumbing (``core``), the schema history (``migrations``) and the
composition — ``bench``, ``demo``, ``cli`` and the top-level ``app``, ``wiring`` and
``__main__`` — which may import any domain.

Run as a script to print the graph between domains: ``python -m tests.backend.test_import_graph``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "backend" / "opcms"
PLUMBING = "core"
NOT_DOMAINS = {PLUMBING, "migrations", "bench", "demo", "cli", "app", "wiring", "__main__", "__init__"}
COMPOSITION = {"bench", "demo", "cli", "app", "wiring", "__main__"}
#: the ledger: billing and payments write money through it, so it imports neither (nor any domain)
LEDGER = "settlement"
LOADERS = {"import_module", "__import__"}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "opcms.billing.service"
    target: str  # the imported module (or module.name), e.g. "opcms.settlement.models"
    line: int

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str | None:
    """The top-level part of ``opcms`` a module belongs to (``opcms.billing.reports.api`` →
    ``billing``); None for a module outside opcms."""
    parts = module.split(".")
    if parts[0] != "opcms":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def is_domain(part: str | None) -> bool:
    return part is not None and part not in NOT_DOMAINS


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, name] if name else base)


def imports_of(path: Path) -> tuple[list[Import], list[Import]]:
    """(imports, loads by a name that is not a literal) of one module, at every level."""
    module = module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    by_name: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = (
                _resolve(module, is_package, node.level, node.module) if node.level else node.module or ""
            )
            # `from opcms import billing` imports the package billing: name each imported name
            found += [Import(module, f"{target}.{alias.name}", node.lineno) for alias in node.names]
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if called in LOADERS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append(Import(module, first.value, node.lineno))
                else:
                    by_name.append(Import(module, "<a name known at run time>", node.lineno))
    return found, by_name


def all_imports() -> tuple[list[Import], list[Import]]:
    found: list[Import] = []
    by_name: list[Import] = []
    for path in sorted(ROOT.rglob("*.py")):
        imports, loads = imports_of(path)
        found += imports
        by_name += loads
    return found, by_name


def domain_graph(imports: list[Import]) -> dict[str, dict[str, list[Import]]]:
    """domain → imported domain → the imports that make the arrow (a domain to itself left out)."""
    graph: dict[str, dict[str, list[Import]]] = defaultdict(lambda: defaultdict(list))
    for found in imports:
        source, target = part_of(found.source), part_of(found.target)
        if is_domain(source) and is_domain(target) and source != target:
            graph[source][target].append(found)
    return graph


def find_cycle(graph: dict[str, dict[str, list[Import]]]) -> list[str] | None:
    """One cycle as a path (first == last), or None; depth first, in name order."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def describe(graph: dict[str, dict[str, list[Import]]]) -> str:
    lines = []
    for source in sorted(graph):
        for target in sorted(graph[source]):
            lines.append(f"{source} -> {target}  ({', '.join(i.where for i in graph[source][target][:3])})")
    return "\n".join(lines)


def _arrow(cycle: list[str], graph: dict[str, dict[str, list[Import]]]) -> str:
    steps = []
    for source, target in zip(cycle, cycle[1:], strict=False):
        steps.append(f"{source} -> {target} ({graph[source][target][0].where})")
    return ", ".join(steps)


# --- the rules ----------------------------------------------------------------------------------
def test_the_modules_are_found():
    imports, _ = all_imports()
    parts = {part_of(i.source) for i in imports}
    assert {"core", "billing", "payments", "settlement", "customers"} <= parts


def test_no_cycle_between_domains():
    imports, _ = all_imports()
    graph = domain_graph(imports)
    remaining = {source: dict(targets) for source, targets in graph.items()}
    cycles = []
    # every cycle, one at a time: report it, cut its first arrow, look again
    while cycle := find_cycle(remaining):
        cycles.append(f"{' -> '.join(cycle)}: {_arrow(cycle, remaining)}")
        del remaining[cycle[0]][cycle[1]]
    assert not cycles, "domains import each other in a circle:\n" + "\n".join(cycles)


def test_core_imports_no_domain_and_no_composition():
    imports, _ = all_imports()
    wrong = [
        f"{i.where} imports {i.target}"
        for i in imports
        if part_of(i.source) == PLUMBING
        and (is_domain(part_of(i.target)) or part_of(i.target) in COMPOSITION)
    ]
    assert not wrong, "core is plumbing for every domain and imports none:\n" + "\n".join(wrong)


def test_no_domain_imports_the_composition():
    imports, _ = all_imports()
    wrong = [
        f"{i.where} imports {i.target}"
        for i in imports
        if is_domain(part_of(i.source)) and part_of(i.target) in COMPOSITION
    ]
    assert not wrong, (
        "benches, demo data, the CLI, the app and the wiring import domains, never the other way:\n"
        + "\n".join(wrong)
    )


def test_the_ledger_imports_no_other_domain():
    imports, _ = all_imports()
    wrong = [
        f"{i.where} imports {i.target}"
        for i in imports
        if part_of(i.source) == LEDGER and is_domain(part_of(i.target)) and part_of(i.target) != LEDGER
    ]
    assert not wrong, (
        "settlement is imported by billing, payments and the rest; it imports none of them:\n"
        + "\n".join(wrong)
    )


def test_domains_and_core_load_no_module_by_name():
    _, by_name = all_imports()
    wrong = [f"{i.where}" for i in by_name if part_of(i.source) not in COMPOSITION]
    assert not wrong, "a module loaded by a name known only at run time hides an arrow:\n" + "\n".join(wrong)


if __name__ == "__main__":
    print(describe(domain_graph(all_imports()[0])))
