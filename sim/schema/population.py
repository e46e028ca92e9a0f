"""The ``population:`` section: base-year population, births, mortality, net migration.

Year t runs from the count point of t-1 to that of t (about 1 November, the census date); births,
deaths and net migration of year t are those between the two (docs/methodology.md, "What a year
means")."""

from __future__ import annotations

from pydantic import Field

from .fields import AnySeries, CountSeries, DataFile, PositiveSeries, Strict, Year


class Population(Strict):
    base: DataFile = Field(
        description="CSV in data/: age (0-100), persons, at the base year's count point (about 1 Nov)"
    )
    base_year: Year
    births: CountSeries = Field(description="live births a year (the calendar-year figure of year t)")
    mortality: DataFile = Field(
        description="CSV in data/: age, qx (probability of dying within the year, count point to count point)"
    )
    mortality_scale: PositiveSeries = Field(description="multiplier on the qx of `mortality`, per year")
    net_migration: AnySeries = Field(
        description="persons a year between count points, negative for net out-migration; what an age "
        "group cannot give is reported as Check|Population floored"
    )
    migration_profile: DataFile = Field(
        description="CSV in data/: age, share (relative migration rate by age)"
    )
    migration_age_shift: float = Field(
        ge=-10,
        le=10,
        description="years by which the migration profile is moved along the ages (+: its young-adult "
        "peak comes later); 0 = the profile as written",
    )
