"""The ``population:`` section: base-year population, births, mortality, net migration."""

from __future__ import annotations

from pydantic import Field

from .fields import AnySeries, CountSeries, DataFile, PositiveSeries, Strict, Year


class Population(Strict):
    base: DataFile = Field(description="CSV in data/: age (0-100), persons, for the base year")
    base_year: Year
    births: CountSeries
    mortality: DataFile = Field(description="CSV in data/: age, qx (probability of dying within the year)")
    mortality_scale: PositiveSeries = Field(description="multiplier on the qx of `mortality`, per year")
    net_migration: AnySeries = Field(description="persons a year, negative for net out-migration")
    migration_profile: DataFile = Field(
        description="CSV in data/: age, share (relative migration rate by age)"
    )
