"""The ``regions:`` section: the city's county-level divisions, how city-wide inputs are shared
among them, migration between them, 特岗 posts, redeployment between divisions and school places.

Without this section a scenario runs as one city. With it, every stage runs once per division
(the divisions are rows beside the draws) and the city is the sum of its divisions
(``sim/stages/regions.py``; docs/districts.md). Names are checked against the ``table`` when the
table is read (``sim/run/simulate.py: check_division_names``), so a misspelt division is an error with
its line.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .fields import Count, DataFile, InputError, Rate, RateSeries, Strict

LEVEL_KEYS = ("preschool", "primary", "junior", "senior_general", "secondary_vocational")


def _nonnegative(value: float, what: str, hint: str) -> float:
    if value < 0:
        raise InputError(f"{what} must be ≥ 0; got {value:g}", hint=hint)
    return value


class TegangPosts(Strict):
    """How the city's 特岗 posts a year are shared among divisions."""

    rule: Literal["priority", "need", "shares"] = Field(
        description="priority: only the divisions in `priority`, in proportion to their rural "
        "primary and junior teacher demand; need: every division by that demand; shares: `shares`",
    )
    priority: list[str] = Field(description="the divisions that take the posts under rule 'priority'")
    shares: dict[str, float] = {}

    @model_validator(mode="after")
    def _shares(self):
        if self.rule == "shares":
            if not self.shares:
                raise InputError(
                    "rule 'shares' needs `shares`", hint="e.g. shares: {蛟河市: 0.5, 舒兰市: 0.5}"
                )
            for k, v in self.shares.items():
                _nonnegative(v, f"the share of {k}", "a share is a fraction from 0 to 1")
            total = sum(self.shares.values())
            if abs(total - 1.0) > 1e-6:
                raise InputError(
                    f"the shares sum to {total:.6g}, not 1",
                    hint="write each division's share of the posts so that they add up to 1",
                )
        if self.rule == "priority" and not self.priority:
            raise InputError("rule 'priority' needs at least one division in `priority`")
        return self


class Redeployment(Strict):
    """Teachers moved between divisions (交流轮岗), each September before the hiring round."""

    apply: bool = Field(
        description="move teachers from divisions above their staffing band to those below it each "
        "year (off: `edusim allocate` only reports the moves)",
    )
    cap: Count = Field(description="most teachers a division sends to other divisions in a year")
    cost_per_teacher: Count = Field(description="yuan a teacher moved between divisions")
    objective: Literal["moves", "cost"] = Field(
        description="moves: the fewest teachers moved; cost: the least cost (`edusim allocate`)"
    )

    @field_validator("cap", mode="before")
    @classmethod
    def _cap(cls, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            _nonnegative(
                float(v), "the redeployment cap", "teachers a division may send in a year: 0 or more"
            )
        return v


class Places(Strict):
    """School places by level and division (capacity) and the flags read from them."""

    utilisation: dict[str, Rate] = Field(
        description="share of places filled in the base year, by level (every level)"
    )
    floor: Rate = Field(description="below this utilisation a division's level is a consolidation candidate")
    ceiling: float = Field(gt=0, le=1.5, description="above this utilisation places are short")
    margin: Rate = Field(description="spare places kept above pupils when counting places needed")
    # places added (or closed: negative) by building projects: division → level → {year: places}
    added: dict[str, dict[str, dict[int, float]]] = {}

    @field_validator("added")
    @classmethod
    def _added_levels(cls, v):
        for division, levels in v.items():
            bad = [k for k in levels if k not in LEVEL_KEYS]
            if bad:
                raise InputError(
                    f"{division}: unknown level {bad[0]!r}", hint="levels: " + ", ".join(LEVEL_KEYS)
                )
        return v

    @field_validator("utilisation")
    @classmethod
    def _levels(cls, v):
        bad = [k for k in v if k not in LEVEL_KEYS]
        if bad:
            raise InputError(f"unknown level {bad[0]!r}", hint="levels: " + ", ".join(LEVEL_KEYS))
        missing = [k for k in LEVEL_KEYS if k not in v]
        if missing:
            raise InputError(
                f"no utilisation for {missing[0]}", hint="give every level: " + ", ".join(LEVEL_KEYS)
            )
        for k, u in v.items():
            if u <= 0:
                raise InputError(f"utilisation of {k} must be > 0", hint="a share of places filled, e.g. 0.9")
        return v


class Regions(Strict):
    table: DataFile = Field(
        description="CSV in data/: the divisions' 2020 census population, urban share and age shares",
    )
    population: dict[str, Count] = Field(
        default_factory=dict,
        description="a division's base-year population instead of the table's (persons); its age "
        "shares stay the table's",
    )
    pull: RateSeries = Field(
        description="share of each county's people who move to the four urban districts in a year "
        "(calibrated to the 2010-2020 census: docs/districts.md)"
    )
    tegang: TegangPosts
    redeployment: Redeployment
    places: Places

    @field_validator("population")
    @classmethod
    def _people(cls, v):
        for k, n in v.items():
            if n <= 0:
                raise InputError(
                    f"{k} has no population ({n:g})",
                    hint="a division needs people: give a number above 0 (its 2020 census count is in "
                    "the division table)",
                )
        return v
