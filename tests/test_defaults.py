"""Defaults in one place: every value of the baseline is written once, either in
scenarios/baseline.yaml (with its source) or as a schema default, never both; and no schema
default is a model number (a rate, count, ratio, pay, age, year, band ...) unless it is listed
below with its reason. Model numbers live in the baseline; the schema keeps only structural
defaults (a switch, an empty container, "nothing unless stated") that the baseline does not write.

A leaf is a field whose value is not a sub-model (a number, series, switch, list or mapping), or
a sub-model the file does not write (its whole value then comes from the default). Lists (notes,
targets, projects) are leaves: a scenario replaces a list whole, and the fields of one item (a
target's ``kind``, a project's ``running_cost``) belong to that item, not to the baseline.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

import numpy as np
import pytest
from pydantic import BaseModel, TypeAdapter
from ruamel.yaml import YAML

from sim.core.paths import scenario_dir
from sim.core.series import Series
from sim.schema.load import load
from sim.schema.scenario import Scenario

# Leaves both written in the baseline and defaulted in the schema, each with its reason. These are
# top-level keys of sim/schema/scenario.py, which this change does not touch: drop an entry (the
# test fails while it is stale) when scenario.py drops the default or the baseline drops the key.
BOTH_ALLOWED = {
    "notes": "scenario.py default [] (no notes); the baseline writes its notes",
    "targets": "scenario.py default [] (no targets); the baseline writes the plan's targets",
    "uncertainty": "scenario.py default {} (nothing uncertain); the baseline writes what is unknown",
    "levers": "scenario.py default {} (no levers); the baseline names the policy inputs a planner moves",
}

# Schema defaults that are numbers, each with its reason (module.Class.field).
NUMBER_DEFAULTS_ALLOWED = {
    "finance.Finance.tolerance": "numerical tolerance of the money-rule checks, not a planning assumption",
    "finance.Project.running_cost": "a project has no running cost unless it states one",
    "finance.Adds.kindergarten_places": "a project adds nothing unless it says so",
    "finance.Adds.classrooms": "a project adds nothing unless it says so",
    "finance.Adds.vocational_places": "a project adds nothing unless it says so",
    "finance.Project.adds": "the Adds() above: nothing unless the project says so",
    "targets.Target.tolerance": "a target is compared exactly unless it states a tolerance",
}


@pytest.fixture(scope="module")
def file_values() -> dict:
    raw = YAML(typ="safe", pure=True).load((scenario_dir() / "baseline.yaml").read_text(encoding="utf-8"))
    assert "extends" not in raw, "the baseline must stand alone: it is the root every scenario extends"
    return raw


@pytest.fixture(scope="module")
def loaded():
    return load("baseline")


def _leaves(model: BaseModel, raw: Any, path: tuple = ()):
    """(dotted path, field info, written in the file?, the file's value) for every leaf of ``model``."""
    for name, info in type(model).model_fields.items():
        written = isinstance(raw, dict) and name in raw
        sub = raw[name] if written else None
        value = getattr(model, name)
        if isinstance(value, BaseModel) and written:
            yield from _leaves(value, sub, path + (name,))
        else:
            yield path + (name,), info, written, sub


def _adapter(info) -> TypeAdapter:
    t = info.annotation
    return TypeAdapter(Annotated[(t, *info.metadata)] if info.metadata else t)


def test_each_baseline_value_is_written_once(loaded, file_values):
    both, neither = [], []
    for path, info, written, _ in _leaves(loaded.scenario, file_values):
        key = ".".join(map(str, path))
        if written and not info.is_required() and key not in BOTH_ALLOWED:
            both.append(f"{key} (schema default {info.get_default(call_default_factory=True)!r})")
        if not written and info.is_required():
            neither.append(key)
    assert not both, (
        "written in scenarios/baseline.yaml AND defaulted in the schema; keep the value "
        "in one place:\n  " + "\n  ".join(both)
    )
    assert not neither, "neither written nor defaulted: " + ", ".join(neither)


def test_both_allow_list_is_not_stale(loaded, file_values):
    both = {
        ".".join(map(str, p))
        for p, info, w, _ in _leaves(loaded.scenario, file_values)
        if w and not info.is_required()
    }
    stale = sorted(set(BOTH_ALLOWED) - both)
    assert not stale, f"no longer both written and defaulted, remove from BOTH_ALLOWED: {stale}"


def test_resolved_baseline_is_schema_defaults_merged_with_the_file(loaded, file_values):
    """Each leaf of the resolved baseline is the file's value (validated) or else the schema's default."""
    resolved = loaded.resolved()
    expected: dict = {}
    differ = []
    for path, info, written, raw in _leaves(loaded.scenario, file_values):
        ta = _adapter(info)
        value = ta.validate_python(raw) if written else info.get_default(call_default_factory=True)
        value = ta.dump_python(value)
        node, got = expected, resolved
        for k in path[:-1]:
            node, got = node.setdefault(k, {}), got[k]
        node[path[-1]] = value
        if got[path[-1]] != value:
            differ.append(
                f"{'.'.join(map(str, path))}: resolved {got[path[-1]]!r}, "
                f"{'file' if written else 'schema default'} {value!r}"
            )
    assert not differ, "\n  ".join(["the resolved baseline is not schema defaults + file:", *differ])
    assert expected == resolved


# ------------------------------------------------------------------ no model numbers in the schema
def _models(root: type[BaseModel] = Scenario) -> list[type[BaseModel]]:
    """Every model class a scenario can contain (through sub-models, lists, mappings, unions)."""
    seen: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.append(m)
        for info in m.model_fields.values():
            todo.extend(_submodels(info.annotation))
    return seen


def _submodels(t: Any):
    if isinstance(t, type) and issubclass(t, BaseModel):
        yield t
    for a in get_args(t):
        yield from _submodels(a)


def _has_number(v: Any) -> bool:
    if v is None or isinstance(v, (bool, str)):
        return False
    if isinstance(v, (int, float, np.number, Series)):
        return True
    if isinstance(v, BaseModel):
        return any(_has_number(getattr(v, k)) for k in type(v).model_fields)
    if isinstance(v, dict):
        return any(_has_number(x) for x in (*v.keys(), *v.values()))
    if isinstance(v, (list, tuple, set)):
        return any(_has_number(x) for x in v)
    return False


def _number_defaults() -> dict[str, Any]:
    out = {}
    for m in _models():
        for name, info in m.model_fields.items():
            if info.is_required():
                continue
            default = info.get_default(call_default_factory=True)
            if _has_number(default):
                out[f"{m.__module__.rsplit('.', 1)[-1]}.{m.__name__}.{name}"] = default
    return out


def test_no_model_numbers_in_the_schema():
    found = _number_defaults()
    bad = {k: v for k, v in found.items() if k not in NUMBER_DEFAULTS_ALLOWED}
    assert not bad, (
        "schema defaults that are model numbers; write them (with their source) in "
        "scenarios/baseline.yaml and make the field required:\n  "
        + "\n  ".join(f"{k} = {v!r}" for k, v in sorted(bad.items()))
    )
    stale = sorted(set(NUMBER_DEFAULTS_ALLOWED) - set(found))
    assert not stale, f"no longer a number default, remove from NUMBER_DEFAULTS_ALLOWED: {stale}"


def test_the_walk_sees_the_level_blocks():
    """The blocks built from the levels table are models the walks above reach."""
    names = {m.__name__ for m in _models()}
    assert {"StaffRatios", "ClassSizes", "Elasticities", "StockTotals", "ByLevel", "Flows"} <= names
