"""The import graph between the project's top-level packages, and the arrows that point up.

`python -m tests.imports [CHECKOUT]` prints the layers, every arrow up (a package importing one
declared above it) and every cycle, counting function-level imports too;
tests/test_architecture.py asserts that none is left beyond its allowlist. The layer
order is docs/architecture.md's ("Layers").

Only `import` statements count (module level and inside functions, relative ones
resolved); Django's string references (URL `include()`s, `INSTALLED_APPS`, model
strings in relations and migrations) are the framework's wiring, not imports.
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A package may import its own layer's and lower layers' packages only.
# simulator and plannr import nothing of ours; dashboard is the project's settings and
# shared web helpers (its urls.py is the composition root, below).
LAYERS = [
    ["simulator", "plannr"],
    ["dashboard"],
    ["audit"],
    ["accounts"],
    # Redaction and custom rules: used by ingest, the normaliser, the outbox and the API.
    ["privacy"],
    ["connections"],
    ["executions"],
    ["ui"],
    ["incidents"],
    ["monitors"],
    ["expectations"],
    ["channels"],
    ["routing"],
    ["alerts"],
    ["reports"],
    ["api", "metrics"],
    ["ops", "erasure"],
    ["bench"],
]
# Modules that are not their package's layer. dashboard/urls.py mounts every app's URLs
# (and /metrics), and dashboard/run.py is `python -m dashboard.run`, the old name of
# ops/run.py: both are entry points, the top of the graph, whatever dashboard's helpers are.
UNITS = {"dashboard.urls": "project", "dashboard.run": "project"}
TOP = "project"
# Not part of the product's graph: the tests import everything.
SKIPPED = {"tests", "node_modules", "static", "templates", "docs", "var"}


def rank():
    ranks = {name: level for level, names in enumerate(LAYERS) for name in names}
    ranks[TOP] = len(LAYERS)
    return ranks


def packages(root=ROOT):
    return sorted(
        path.name
        for path in root.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in SKIPPED
    )


def module_name(path, root=ROOT):
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module):
    """The unit a module belongs to: its top-level package, unless UNITS says otherwise."""
    for prefix, unit in UNITS.items():
        if module == prefix or module.startswith(prefix + "."):
            return unit
    return module.split(".")[0]


def imported_modules(path, module):
    """(line, module) for every import in the file, relative ones made absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if node.module is None or node.level:
                # `from . import x` / `from .. import x`: x may be a module of that package.
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"
            else:
                yield node.lineno, target


def edges(root=ROOT):
    """{(from unit, to unit): ["path:line module", ...]} between different units."""
    ours = set(packages(root))
    found = defaultdict(list)
    for package in ours:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(path, root)
            source = unit_of(module)
            for line, target in imported_modules(path, module):
                if target.split(".")[0] not in ours:
                    continue
                destination = unit_of(target)
                if destination != source:
                    found[(source, destination)].append(f"{path.relative_to(root)}:{line} {target}")
    return dict(found)


def arrows_up(found):
    ranks = rank()
    return {pair: where for pair, where in found.items() if ranks.get(pair[1], -1) > ranks.get(pair[0], -1)}


def cycles(pairs):
    """The strongly connected components with more than one unit (Tarjan's algorithm)."""
    graph = defaultdict(set)
    for source, destination in pairs:
        graph[source].add(destination)
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(set(graph) | {d for targets in graph.values() for d in targets}):
        if node not in index:
            visit(node)
    return sorted(components)


def main(argv):
    # An optional checkout to measure instead of this one (a "before" figure).
    root = Path(argv[0]).resolve() if argv else ROOT
    found = edges(root)
    up = arrows_up(found)
    print("Layers, lowest first:", " < ".join("/".join(names) for names in LAYERS), "< project (dashboard.urls)")
    unplaced = sorted(set(packages(root)) - set(rank()))
    if unplaced:
        print("Packages in no layer:", ", ".join(unplaced))
    print(f"Arrows up: {len(up)} package pairs, {sum(len(w) for w in up.values())} import statements")
    for (source, destination), where in sorted(up.items()):
        print(f"  {source} -> {destination}")
        for line in where:
            print(f"      {line}")
    loops = cycles(found)
    print(f"Cycles between packages: {len(loops)}")
    for loop in loops:
        print("  " + " <-> ".join(loop))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
