"""What is not known (``uncertainty:``) and what the bureau controls (``levers:``).

An uncertainty gives a scipy.stats distribution for a numeric leaf or a series of the
scenario, by its dotted path. A series is scaled or shifted by one draw, or set to it, and
must say which (the loader refuses it without ``apply:``: a value written as one number may be
a series, and scaling a growth rate by a draw meant as the rate is a silent trap); a number is
set to the draw (the default, which the loader writes in) or scaled or shifted. ``apply: drift``
makes the draw a change per year from the base year on: additive for a bounded input (a
rate: value + draw × years since the base year), a growth rate for any other (value ×
(1 + draw)^years); ``StageContext.evaluate`` applies it::

    uncertainty:
      population.births: {dist: truncnorm, params: {a: -2, b: 2, loc: 1.0, scale: 0.08}}
      teachers.tegang.retention: {dist: beta, params: {a: 17, b: 3}}
      students.transitions.vocational_share:
        {dist: truncnorm, params: {a: -2, b: 2, loc: 0, scale: 0.006}, apply: drift}

Drawing the values is ``sim/run/sampling.py``; finding the leaf a path names is ``paths.py``.

>>> Uncertainty(dist="uniform", params={"loc": 0.9, "scale": 0.2}).dist
'uniform'
>>> Uncertainty(dist="norm", params={"loc": 0, "scale": 0.01}, apply="drift").apply
'drift'
"""

from __future__ import annotations

import difflib
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from .fields import Strict

DISTRIBUTIONS = ("norm", "truncnorm", "uniform", "triang", "beta", "lognorm")


class Uncertainty(Strict):
    dist: str = Field(description="a scipy.stats distribution: " + ", ".join(DISTRIBUTIONS))
    params: dict[str, float] = {}
    # required on a series (sim.schema.load refuses None there); None on a number becomes "set" when
    # loaded, so scenario.resolved.yaml shows the mode used; drift: a change per year from the base year on
    apply: Literal["scale", "shift", "set", "drift"] | None = None

    @model_validator(mode="after")
    def _valid(self):
        check(self)
        return self


# each offered distribution's parameters (shapes first) and what they must satisfy, so that a
# scenario is checked without importing scipy (validating the baseline stays quick)
_SHAPES = {
    "norm": (),
    "truncnorm": ("a", "b"),
    "uniform": (),
    "triang": ("c",),
    "beta": ("a", "b"),
    "lognorm": ("s",),
}
_VALID = {
    "truncnorm": lambda p: p["a"] < p["b"],
    "triang": lambda p: 0 <= p["c"] <= 1,
    "beta": lambda p: p["a"] > 0 and p["b"] > 0,
    "lognorm": lambda p: p["s"] > 0,
}


def check(u: Uncertainty) -> None:
    """A clear ValueError for an unknown distribution or bad parameters (no scipy needed).

    >>> check(Uncertainty.model_construct(dist="beta", params={"a": 17, "b": 3}))
    >>> check(Uncertainty.model_construct(dist="beta", params={"a": 17}))
    Traceback (most recent call last):
    ...
    ValueError: beta needs parameter(s) ['b']; its parameters are a, b, loc, scale
    """
    if u.dist not in DISTRIBUTIONS:
        frozen(u)  # the long way: scipy tells whether the name exists at all, for the message
    shapes = _SHAPES[u.dist]
    names = ", ".join(shapes + ("loc", "scale"))
    unknown = sorted(set(u.params) - set(shapes) - {"loc", "scale"})
    if unknown:
        raise ValueError(f"{u.dist} has no parameter(s) {unknown}; its parameters are {names}")
    missing = [s for s in shapes if s not in u.params]
    if missing:
        raise ValueError(f"{u.dist} needs parameter(s) {missing}; its parameters are {names}")
    if u.params.get("scale", 1.0) <= 0 or not _VALID.get(u.dist, lambda p: True)(u.params):
        raise ValueError(f"{u.dist} parameters {u.params} are outside its support (parameters: {names})")


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
        raise ValueError(
            f"{u.dist} parameters {u.params} are outside its support (parameters: {_param_names(dist)})"
        )
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
