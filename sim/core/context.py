"""What a model stage receives and leaves behind: the years, the draws, the inputs read for it,
the typed outputs of earlier stages, and the result variables.

Every stage is a function ``stage(section, ctx) -> {variable: (D, T) array}`` (see
``sim/stages/__init__.py`` for the registry). What a later stage needs from an earlier one
travels as a typed object (``Population``, ``StudentFlows``, ...), stored with ``ctx.put``
and fetched with ``ctx.need(Population)``: a missing one is an error that names it, never
a silent default. Result variables (IAMC names) are for people and files, not for stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from .levels import FIRST, FLOW_INDEX, LAST, N_LAGS

T_ = TypeVar("T_")


# ====================================================================== typed stage outputs
@dataclass
class Population:
    """Population by single year of age 0-100 (the last open-ended)."""

    persons: np.ndarray  # (D, T, A)
    migration_factor: np.ndarray  # (D, T, A): after migration / before, applied to pupils of that age
    births: np.ndarray  # (D, T)


@dataclass
class StudentFlows:
    """Pupils by grade and lag, graduates and entrants by flow level, preschool children by age."""

    stock: np.ndarray  # (D, T, G, L)
    graduates: np.ndarray  # (D, T, K, L): graduates at the end of year t-1, counted in year t
    entrants: np.ndarray  # (D, T, K): first-grade entrants by level
    preschool: np.ndarray  # (D, T, 3): enrolled at ages 3, 4, 5
    cohort_migration: np.ndarray  # (D, T, G): migration factor accumulated along each grade's cohort path

    @property
    def grade_enrolment(self) -> np.ndarray:
        """Pupils by grade, all lags together: (D, T, G)."""
        return self.stock.sum(axis=3)

    def enrolment(self, level: str) -> np.ndarray:
        """Pupils of a level (preschool included): (D, T)."""
        if level == "preschool":
            return self.preschool.sum(axis=2)
        k = FLOW_INDEX[level]
        return self.stock[:, :, FIRST[k] : LAST[k] + 1, :].sum(axis=(2, 3))

    def official_age_enrolment(self, level: str) -> np.ndarray:
        """Pupils of the level who are of its official ages (for net enrolment rates)."""
        k = FLOW_INDEX[level]
        n = int(LAST[k] - FIRST[k] + 1)
        block = self.stock[:, :, FIRST[k] : LAST[k] + 1, :]
        on_age = (np.arange(n)[:, None] + np.arange(N_LAGS)[None, :]) < n
        return (block * on_age).sum(axis=(2, 3))


@dataclass
class Attainment:
    table: np.ndarray  # (D, T, ages 6-59, categories): persons
    clipped: np.ndarray  # (D, T): graduates who found nobody left to move up


@dataclass
class TeacherSupply:
    """What the money stage needs of the teacher stage, by teacher level (``TEACHER_LEVELS`` order)."""

    supply: np.ndarray  # (D, T, L): teachers in post
    tegang_in_contract: np.ndarray  # (D, T)
    township_subsidy: np.ndarray  # (D, T): yuan a month, all rural teachers together
    # yuan a year spent on moving teachers between areas, levels or divisions (0 when none move)
    redeployment_cost: np.ndarray | None = None  # (D, T)


def share_within_draw(weights: np.ndarray, R: int) -> np.ndarray:
    """Per-row weights (D·R, …), rows draw-major, → each row's share of its draw's total (0 where
    the total is 0).

    >>> share_within_draw(np.array([1.0, 3.0, 0.0, 0.0]), 2).tolist()
    [0.25, 0.75, 0.0, 0.0]
    """
    w = np.asarray(weights, dtype=float)
    w = w.reshape((-1, R) + w.shape[1:])
    total = w.sum(axis=1, keepdims=True)
    return np.divide(w, total, out=np.zeros_like(w), where=total > 0).reshape(np.shape(weights))


# ====================================================================== the context
@dataclass
class StageContext:
    years: np.ndarray  # (T,) school years, base year first
    draws: int  # D, the size of axis 0 of every array
    seed: int  # the scenario's root seed
    draw_index: np.ndarray  # (D,) global draw numbers (chunks keep their numbers)
    tables: dict[str, Any] = field(default_factory=dict)  # data file name → pandas.DataFrame
    results: dict[str, np.ndarray] = field(default_factory=dict)  # variable → (D, T)
    outputs: dict[type, Any] = field(default_factory=dict)  # typed stage outputs by their class
    options: dict[str, Any] = field(default_factory=dict)  # run options, e.g. engine="aggregate"
    # uncertain inputs of this chunk: path → (how, values (D,)); see sim/run/sampling.py
    perturb: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    consumed: set = field(default_factory=set)  # paths a stage has read through evaluate()
    warnings: list[str] = field(default_factory=list)  # corrections made, one line each
    # variables a stage declares may be undefined (NaN): ratios where their denominator is zero
    # (spending per student of a level with no students), flows before the base year; any other
    # non-finite result is an error
    undefined: set = field(default_factory=set)
    # the county-level divisions (sim/stages/regions.py: Divisions) when the scenario has them: then
    # axis 0 of every array is draws × divisions (row = d·R + r) and ``draws`` counts rows
    regions: Any = None
    regional: dict[str, np.ndarray] = field(default_factory=dict)  # variable → (D, R, T), after the run

    @property
    def R(self) -> int:
        """Divisions per draw (1 without ``regions:``)."""
        return 1 if self.regions is None else self.regions.R

    def share(self, weights: np.ndarray) -> np.ndarray | float:
        """Each row's share of its draw's total of ``weights`` (rows, …): how a city-wide amount is
        shared among divisions; 1.0 without divisions (the city takes it all)."""
        if self.regions is None:
            return 1.0
        return share_within_draw(weights, self.R)

    # ------------------------------------------------------------ typed outputs
    def put(self, output: Any) -> None:
        self.outputs[type(output)] = output

    def need(self, kind: type[T_]) -> T_:
        """The output of an earlier stage; a clear error when no stage gave it."""
        if kind not in self.outputs:
            raise LookupError(f"this stage needs {kind.__name__}, which no earlier stage produced")
        return self.outputs[kind]

    def get(self, kind: type[T_]) -> T_ | None:
        return self.outputs.get(kind)

    # ------------------------------------------------------------ random numbers
    def seed_sequence(self, d: int, stream: int = 0) -> np.random.SeedSequence:
        """The seed of draw ``d`` (its global number) for a named stream: rebuilt from integers alone."""
        return np.random.SeedSequence(self.seed, spawn_key=(int(d), stream))

    # ------------------------------------------------------------ inputs
    def evaluate(self, path: str, value, lo: float | None = None, hi: float | None = None) -> np.ndarray:
        """The scenario value at ``path`` (a Series or a number) on the years: (1, T), or (D, T)
        when the value is uncertain. Uncertain values outside [lo, hi] are brought back inside
        and the correction is published as ``Check|Clipped inputs`` with a warning.

        How the draw ``v`` is applied (``apply:`` of the uncertainty; None: scale a series, set a
        number): ``scale`` value × v, ``shift`` value + v, ``set`` v, and ``drift`` a change per year
        from the base year t0 on: value(t) + v × (t − t0) for a bounded input (one read with both
        ``lo`` and ``hi``: a rate, a share, an age shift), value(t) × (1 + v)^(t − t0) for any
        other (counts, money, multipliers, net migration). So the base year keeps its value.

        >>> from sim.core.series import Series
        >>> ctx = StageContext(years=np.arange(2020, 2023), draws=2, seed=0, draw_index=np.arange(2),
        ...                    perturb={"x": ("scale", np.array([1.0, 2.0]))})
        >>> ctx.evaluate("x", Series.parse({2020: 1, 2022: 3})).tolist()
        [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]

        A drift of +10 % and −50 % a year on a series (100 in every year): 100 × 1.1^n and 100 × 0.5^n.
        On a rate of 0.9 in [0, 1], +0.06 and −0.5 a year: 0.9 + 0.06 n (0.96, then 1.02, clipped to 1)
        and 0.9 − 0.5 n (0.4, then −0.1, clipped to 0); the clipping is published:

        >>> ctx.perturb = {"x": ("drift", np.array([0.1, -0.5])), "r": ("drift", np.array([0.06, -0.5]))}
        >>> np.round(ctx.evaluate("x", Series.parse(100)), 6).tolist()
        [[100.0, 110.0, 121.0], [100.0, 50.0, 25.0]]
        >>> np.round(ctx.evaluate("r", Series.parse(0.9), 0.0, 1.0), 6).tolist()
        [[0.9, 0.96, 1.0], [0.9, 0.4, 0.0]]
        >>> np.round(ctx.results["Check|Clipped inputs"], 6).tolist()
        [[0.0, 0.0, 0.02], [0.0, 0.0, 0.1]]
        """
        if hasattr(value, "evaluate"):
            base = np.asarray(value.evaluate(self.years), dtype=float)[None, :]
            default = "scale"
        else:
            base = np.full((1, len(self.years)), float(value))
            default = "set"
        self.consumed.add(path)
        if path not in self.perturb:
            return base
        how, v = self.perturb[path]
        how = how or default
        v = np.asarray(v, dtype=float)[:, None]
        if how == "scale":
            out = base * v
        elif how == "shift":
            out = base + v
        elif how == "drift":
            n = (np.asarray(self.years) - self.years[0]).astype(float)[None, :]  # years since the base year
            if lo is not None and hi is not None:
                out = base + v * n
            else:
                out = base * np.maximum(1.0 + v, 0.0) ** n
        else:
            out = np.broadcast_to(v, (len(v), base.shape[1]))
        if self.R > 1:  # a draw's value holds in each of its divisions
            out = np.repeat(out, self.R, axis=0)
        if lo is not None or hi is not None:
            clipped = np.clip(out, lo, hi)
            self.check(
                "Clipped inputs",
                np.abs(clipped - out),
                f"uncertain input {path} drawn outside [{lo}, {hi}]: brought back to the bound",
            )
            out = clipped
        return out

    def ratio(self, name: str, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        """numerator / denominator, NaN where the denominator is zero (declared: not an error)."""
        self.undefined.add(name)
        numerator, denominator = np.asarray(numerator), np.asarray(denominator)
        out = np.full(np.broadcast_shapes(numerator.shape, denominator.shape), np.nan)
        return np.divide(numerator, denominator, out=out, where=denominator != 0)

    # ------------------------------------------------------------ corrections made visible
    def check(self, name: str, amount: np.ndarray, what: str) -> None:
        """Publish a correction the model made as ``Check|<name>`` (D, T) and warn when it is non-zero.

        Several corrections under one name add up (each in its own input's unit)."""
        amount = np.broadcast_to(np.asarray(amount, dtype=float), (self.draws, len(self.years))).copy()
        key = f"Check|{name}"
        if key in self.results:
            amount = amount + self.results[key]
        self.results[key] = amount
        if np.any(amount != 0):
            self.warnings.append(f"{what} (Check|{name}: largest {float(np.abs(amount).max()):,.4g})")
