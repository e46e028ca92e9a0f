"""What is not known (``uncertainty:``) and what the bureau controls (``levers:``).

An uncertainty gives a scipy.stats distribution for a numeric leaf or a series of the
scenario, by its dotted path. A series is scaled (default) or shifted by one draw, or
set to it; a number is set to the draw (default) or scaled or shifted::

    uncertainty:
      population.births: {dist: truncnorm, params: {a: -2, b: 2, loc: 1.0, scale: 0.08}}
      teachers.tegang.retention: {dist: beta, params: {a: 17, b: 3}}

Draw d's values come from ``numpy.random.SeedSequence(seed, spawn_key=(d,))`` alone —
the same stream ``SeedSequence(seed).spawn(draws)[d]`` gives — so they do not depend on
how draws are chunked or which worker runs them. Every uncertain input is drawn up front
and stored beside the outputs (``Input|<path>`` in the results).

>>> u = {"population.births": Uncertainty(dist="uniform", params={"loc": 0.9, "scale": 0.2})}
>>> v = sample(u, seed=1, draw_index=np.arange(3))["population.births"]
>>> v.shape, bool(((v >= 0.9) & (v <= 1.1)).all())
((3,), True)
"""

from __future__ import annotations

import difflib
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from .fields import Strict

DISTRIBUTIONS = ("norm", "truncnorm", "uniform", "triang", "beta", "lognorm")


class Uncertainty(Strict):
    dist: str = Field(description="a scipy.stats distribution: " + ", ".join(DISTRIBUTIONS))
    params: dict[str, float] = {}
    apply: Literal["scale", "shift", "set"] | None = None   # None: scale a series, set a number

    @model_validator(mode="after")
    def _valid(self):
        frozen(self)
        return self


def frozen(u: Uncertainty):
    """The frozen scipy distribution; a clear ValueError for an unknown name or bad parameters."""
    from scipy import stats

    if u.dist not in DISTRIBUTIONS:
        close = difflib.get_close_matches(u.dist, DISTRIBUTIONS, n=1)
        known = getattr(stats, u.dist, None)
        if known is None or not hasattr(known, "ppf"):
            hint = f" (did you mean '{close[0]}'?)" if close else f"; use one of {', '.join(DISTRIBUTIONS)}"
            raise ValueError(f"scipy.stats has no distribution '{u.dist}'{hint}")
        raise ValueError(f"'{u.dist}' is not offered; use one of {', '.join(DISTRIBUTIONS)}")
    dist = getattr(stats, u.dist)
    try:
        fr = dist(**u.params)
        q = fr.ppf([0.001, 0.5, 0.999])
    except TypeError as e:
        raise ValueError(f"{u.dist}: {e}; its parameters are {_param_names(dist)}") from None
    if not np.all(np.isfinite(q)):
        raise ValueError(f"{u.dist} parameters {u.params} are outside its support "
                         f"(parameters: {_param_names(dist)})")
    return fr


def _param_names(dist) -> str:
    shapes = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
    return ", ".join(shapes + ["loc", "scale"])


class Lever(Strict):
    min: float
    max: float
    label: str | None = None

    @model_validator(mode="after")
    def _order(self):
        if self.min > self.max:
            raise ValueError(f"lever range has min {self.min:g} > max {self.max:g}")
        return self


def sample(uncertainties: dict[str, Uncertainty], seed: int, draw_index: np.ndarray) -> dict[str, np.ndarray]:
    """Each uncertain input's value for each draw: {path: (D,)}."""
    if not uncertainties:
        return {}
    paths = sorted(uncertainties)
    u = np.empty((len(draw_index), len(paths)))
    for row, d in enumerate(draw_index):
        u[row] = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(d),))).random(len(paths))
    return {p: frozen(uncertainties[p]).ppf(u[:, i]) for i, p in enumerate(paths)}


def resolve(scenario, path: str) -> tuple[Any, str]:
    """The value at a dotted path of a scenario and its kind ("series" or "number").

    Raises ValueError (with the nearest valid key) when the path names no numeric leaf.
    """
    from pydantic import BaseModel

    from .series import Series

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


def check_paths(scenario) -> None:
    for path in list(scenario.uncertainty) + list(scenario.levers):
        resolve(scenario, path)


def set_leaf(scenario, path: str, value: float):
    """A copy of the scenario with the leaf at ``path`` set to a constant (a lever setting)."""
    from .scenario import Scenario

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
