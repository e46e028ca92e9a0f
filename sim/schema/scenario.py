"""The scenario: the sections composed into one model, the horizon and notes.

Each section's schema is its own module (``population.py``, ``students.py``, ...); this
module only puts them together. Loading YAML with ``extends:`` is ``load.py``.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from .attainment import Attainment
from .fields import Name, Strict, Text, Year
from .finance import Finance
from .population import Population
from .regions import Regions
from .students import Students
from .targets import Target
from .teachers import Teachers
from .uncertainty import Lever, Uncertainty

# The default inputs (survival table, migration profile) describe Jilin around 2020;
# a projection beyond 2050 would rest on them for 30+ years, which they cannot carry.
LAST_YEAR_COVERED = 2050
MAX_DRAWS = 10_000_000


class Horizon(Strict):
    start: Year
    end: Year

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError(f"horizon end ({self.end}) must be after its start ({self.start})")
        if self.end > LAST_YEAR_COVERED:
            raise ValueError(
                f"horizon end {self.end} is beyond {LAST_YEAR_COVERED}, "
                "the last year the default inputs are meant to carry"
            )
        return self


class Note(Strict):
    """A remark the scenario carries with it, e.g. which of two conflicting sources it uses."""

    about: str
    text: str
    source: str | None = None


class Scenario(Strict):
    name: Name
    title: Text
    description: Text
    # run settings: written once, in scenarios/baseline.yaml (a scenario extends it or states them)
    horizon: Horizon
    seed: Annotated[int, Field(ge=0)]
    draws: Annotated[int, Field(ge=1, le=MAX_DRAWS)]
    notes: list[Note] = []
    population: Population
    students: Students
    attainment: Attainment
    teachers: Teachers | None = None
    finance: Finance | None = None
    # the county-level divisions; without it the scenario runs as one city
    regions: Regions | None = None
    targets: list[Target] = []
    uncertainty: dict[str, Uncertainty] = {}
    levers: dict[str, Lever] = {}

    @model_validator(mode="after")
    def _base_year(self):
        if self.population.base_year != self.horizon.start:
            raise ValueError(
                f"horizon start {self.horizon.start} is not the base population's year "
                f"{self.population.base_year}: the data cover {self.population.base_year} onwards"
            )
        return self

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.horizon.start, self.horizon.end + 1)
