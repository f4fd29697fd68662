"""Dependencies point one way: no package imports one above it, and no two import each other.

The graph and the layer order are in tests/imports.py (`python -m tests.imports` prints
them); docs/architecture.md explains the order. Imports inside functions count.
"""

import pytest

from tests import imports

# Arrows up allowed, each with the reason and who removes it; none are left. An entry that
# no longer exists fails the test too, so the list only shrinks.
ALLOWED_UP = {}


@pytest.fixture(scope="module")
def graph():
    return imports.edges()


def test_every_package_has_a_layer():
    assert sorted(set(imports.packages()) - set(imports.rank())) == []


def test_no_package_imports_a_higher_one(graph):
    up = imports.arrows_up(graph)
    unexpected = {pair: where for pair, where in up.items() if pair not in ALLOWED_UP}
    assert unexpected == {}
    gone = sorted(set(ALLOWED_UP) - set(up))
    assert gone == [], "fixed: remove these from ALLOWED_UP"


def test_no_cycle_between_packages(graph):
    # The allowed arrows up are the only way a cycle can close (every other arrow points
    # down), so without them there must be none.
    remaining = [pair for pair in graph if pair not in ALLOWED_UP]
    assert imports.cycles(remaining) == []


def test_function_level_and_relative_imports_are_counted(tmp_path):
    # What the graph would miss if it read only module-level absolute imports.
    (tmp_path / "low").mkdir()
    (tmp_path / "low" / "__init__.py").write_text("")
    (tmp_path / "low" / "sub").mkdir()
    (tmp_path / "low" / "sub" / "__init__.py").write_text("")
    (tmp_path / "low" / "sub" / "mod.py").write_text(
        "def later():\n    from high import models\n\nfrom .. import helpers\nfrom ..sub import mod\n"
    )
    (tmp_path / "high").mkdir()
    (tmp_path / "high" / "__init__.py").write_text("")
    found = imports.edges(tmp_path)
    assert found == {("low", "high"): ["low/sub/mod.py:2 high"]}
    path = tmp_path / "low" / "sub" / "mod.py"
    assert sorted(target for _, target in imports.imported_modules(path, "low.sub.mod")) == [
        "high",
        "low.helpers",
        "low.sub.mod",
    ]


def test_a_cycle_is_found():
    assert imports.cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]
    assert imports.cycles([("a", "b"), ("b", "c")]) == []


def test_the_layers_are_the_documented_ones():
    text = (imports.ROOT / "docs" / "architecture.md").read_text()
    order = " < ".join("/".join(names) for names in imports.LAYERS)
    assert order in text
