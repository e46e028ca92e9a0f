"""The ``attainment:`` section: the base table of highest level completed, years per level."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .fields import DataFile, Strict


class Attainment(Strict):
    base: DataFile = Field(description="CSV in data/: age (6-59) and persons by highest level completed")
    years: dict[
        Literal["none", "primary", "junior", "senior", "junior_college", "bachelor"],
        Annotated[float, Field(ge=0, le=25)],
    ] = Field(description="years of schooling a person whose highest level is this one has completed")
