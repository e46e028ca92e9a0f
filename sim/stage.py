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

    def seed_sequence(self, d: int, stream: int = 0) -> np.random.SeedSequence:
        """The seed of draw ``d`` (its global number) for a named stream: rebuilt from integers alone."""
        return np.random.SeedSequence(self.seed, spawn_key=(int(d), stream))

    def rng(self, stream: int) -> list[np.random.Generator]:
        """One generator per draw of this chunk for a stream; identical however draws are chunked."""
        return [np.random.default_rng(self.seed_sequence(d, stream)) for d in self.draw_index]

    def series(self, s, shape_extra: tuple = ()) -> np.ndarray:
        """A Series evaluated on the years, shaped (1, T) to broadcast over draws."""
        return s.evaluate(self.years)[None, :]
