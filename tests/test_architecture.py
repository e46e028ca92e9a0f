"""The house: arrows between layers point one way, no module imports another that imports it back
(not even inside a function), the wheel lists every package, and every key indicator exists."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a layer may import itself and the layers below it; report/ is drawing and sees only core/
BELOW = {
    "cli": {"sim.analysis", "sim.core", "sim.run", "sim.schema", "sim.stages", "sim.report"},
    "sim.analysis": {"sim.analysis", "sim.report", "sim.run", "sim.stages", "sim.schema", "sim.core"},
    "sim.report": {"sim.report", "sim.core"},
    "sim.run": {"sim.run", "sim.stages", "sim.schema", "sim.core"},
    "sim.stages": {"sim.stages", "sim.schema", "sim.core"},
    "sim.schema": {"sim.schema", "sim.core"},
    "sim.core": {"sim.core"},
}


def _modules() -> dict[str, Path]:
    mods = {}
    for p in [*sorted((ROOT / "sim").rglob("*.py")), ROOT / "cli.py"]:
        name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    return mods


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """Every sim module ``name`` imports, at the top or inside a function."""
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in mods:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def _layer(name: str) -> str:
    return "cli" if name == "cli" else ".".join(name.split(".")[:2])


GRAPH = {n: _imports(n, p, _modules()) for n, p in _modules().items()}


@pytest.mark.parametrize("name", sorted(n for n in GRAPH if _layer(n) in BELOW))
def test_arrows_point_down(name):
    allowed = BELOW[_layer(name)]
    wrong = sorted(t for t in GRAPH[name] if _layer(t) not in allowed and not name.startswith(t + "."))
    assert not wrong, f"{name} imports {wrong}, above or beside its layer"


def test_no_import_circles():
    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for t in GRAPH.get(todo.pop(), ()):
                if t not in seen and not start.startswith(t + "."):  # a package's own __init__
                    seen.add(t)
                    todo.append(t)
        return seen

    circles = sorted(n for n in GRAPH if n in reach(n))
    assert not circles, f"modules that import themselves through others: {circles}"


def test_the_wheel_lists_every_package():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(conf["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "sim").rglob("__init__.py")}
    assert found | {"sim.scenarios", "sim.data"} == listed
    assert conf["package-dir"] == {"sim.scenarios": "scenarios", "sim.data": "data"}


def test_every_key_indicator_is_catalogued():
    from sim.analysis.jobs import KEY_INDICATORS
    from sim.core.catalogue import catalogue

    assert [v for v in KEY_INDICATORS if v not in catalogue()] == []


def test_every_stage_has_its_catalogue_and_a_section():
    from sim.schema.scenario import Scenario
    from sim.stages import STAGES

    files = {p.name for p in (ROOT / "sim" / "core" / "variables").glob("*.csv")}
    for s in STAGES:
        assert s.catalogue in files and s.section in Scenario.model_fields
