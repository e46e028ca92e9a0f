"""The ``attainment:`` section: the base table of highest level completed, years per level."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .fields import DataFile, Rate, Strict

Category = Literal["none", "primary", "junior", "senior", "junior_college", "bachelor"]


class Attainment(Strict):
    base: DataFile = Field(description="CSV in data/: age (6-59) and persons by highest level completed")
    years: dict[Category, Annotated[float, Field(ge=0, le=25)]] = Field(
        description="years of schooling a person whose highest level is this one has completed"
    )
    migrant_selectivity: dict[Category, Annotated[float, Field(ge=0, le=100)]] = Field(
        description="relative propensity to leave with net out-migration, by highest level: 1 everywhere = "
        "out-migrants have their age group's schooling; 2 for bachelor = graduates leave twice as often"
    )
    higher_education_stays: Rate = Field(
        description="share of the city's higher-education graduates credited as residents with their degree"
    )

    @model_validator(mode="after")
    def _every_category(self):
        for what in ("years", "migrant_selectivity"):
            missing = sorted(set(Category.__args__) - set(getattr(self, what)))
            if missing:
                raise ValueError(f"{what} needs every level of attainment; missing {missing}")
        if sum(self.migrant_selectivity.values()) <= 0:
            raise ValueError("migrant_selectivity: at least one level must have a propensity above 0")
        return self
