"""What a model stage receives: the years, the draws, the inputs read for it, and earlier results.

The runner calls the stages in order (population and students, attainment,
teachers, money); each is a function ``stage(config, ctx) -> {variable: array}``
whose arrays are ``(draws, years)``. A stage reads earlier stages' results by
variable name from ``ctx.results``, never from files: the runner has read every
``DataFile`` named in the scenario into ``ctx.tables`` beforehand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class StageContext:
    years: np.ndarray                       # (T,) school years, base year first
    draws: int                              # D, the size of axis 0 of every array
    seed: int                               # the scenario's root seed
    draw_index: np.ndarray                  # (D,) global draw numbers (chunks keep their numbers)
    tables: dict[str, Any] = field(default_factory=dict)      # data file name → pandas.DataFrame
    results: dict[str, np.ndarray] = field(default_factory=dict)  # variable → (D, T)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)   # richer intermediate arrays by name
    options: dict[str, Any] = field(default_factory=dict)     # run options, e.g. engine="aggregate"
    # uncertain inputs of this chunk: path → (how, values (D,)); see sim/uncertainty.py
    perturb: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    consumed: set = field(default_factory=set)                # paths a stage has read through evaluate()

    def seed_sequence(self, d: int, stream: int = 0) -> np.random.SeedSequence:
        """The seed of draw ``d`` (its global number) for a named stream: rebuilt from integers alone."""
        return np.random.SeedSequence(self.seed, spawn_key=(int(d), stream))

    def evaluate(self, path: str, value, lo: float | None = None, hi: float | None = None) -> np.ndarray:
        """The scenario value at ``path`` (a Series or a number) on the years: (1, T), or (D, T)
        when the value is uncertain; uncertain values are kept within [lo, hi].

        >>> from sim.series import Series
        >>> ctx = StageContext(years=np.arange(2020, 2023), draws=2, seed=0, draw_index=np.arange(2),
        ...                    perturb={"x": ("scale", np.array([1.0, 2.0]))})
        >>> ctx.evaluate("x", Series.parse({2020: 1, 2022: 3})).tolist()
        [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]]
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
        out = base * v if how == "scale" else base + v if how == "shift" else np.broadcast_to(v, (len(v), base.shape[1]))
        if lo is not None or hi is not None:
            out = np.clip(out, lo, hi)
        return out
