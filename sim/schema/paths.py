"""Leaves of a scenario by their dotted path (``teachers.tegang.hires``): find one, or set one.

Used for ``uncertainty:`` and ``levers:`` entries, sweeps and goal-seeking.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel

from ..core.series import Series
from .scenario import Scenario


def resolve(scenario, path: str) -> tuple[Any, str]:
    """The value at a dotted path of a scenario and its kind ("series" or "number").

    Raises ValueError (with the nearest valid key) when the path names no numeric leaf.
    """
    node: Any = scenario
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, BaseModel):
            fields = list(type(node).model_fields)
            if part not in fields:
                close = difflib.get_close_matches(part, fields, n=1)
                where = ".".join(parts[:i]) or "the scenario"
                hint = f"; did you mean '{'.'.join(parts[:i] + [close[0]])}'?" if close else ""
                raise ValueError(f"'{path}' names no value: {where} has no '{part}'{hint}")
            node = getattr(node, part)
        elif isinstance(node, dict):
            key = int(part) if part.isdigit() and int(part) in node else part
            if key not in node:
                raise ValueError(f"'{path}' names no value: no '{part}' (keys: {', '.join(map(str, node))})")
            node = node[key]
        else:
            raise ValueError(f"'{path}' names no value: '{'.'.join(parts[:i])}' is not a section")
    if isinstance(node, Series):
        return node, "series"
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return node, "number"
    raise ValueError(f"'{path}' is not a number or a series (it is {type(node).__name__})")


def set_leaf(scenario, path: str, value: float):
    """A copy of the scenario with the leaf at ``path`` set to a constant (a lever setting)."""
    data = scenario.model_dump(mode="python")
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        key = int(part) if isinstance(node, dict) and part.isdigit() and int(part) in node else part
        node = node[key]
    last = parts[-1]
    key = int(last) if last.isdigit() and int(last) in node else last
    node[key] = float(value)
    return Scenario.model_validate(data)
