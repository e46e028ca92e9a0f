"""The ``students:`` section: preschool rates, grade flows, transitions between levels, base stocks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, create_model, model_validator

from ..core.levels import FLOW_LEVELS
from .fields import Count, RateSeries, Strict

RateOrGrades = RateSeries | list[RateSeries]


class LevelFlow(Strict):
    """Per-grade repetition and dropout; promotion is what remains (1 − repetition − dropout)."""

    repetition: RateOrGrades = Field(
        description="share repeating a grade: one rate for every grade, or one per grade"
    )
    dropout: RateOrGrades = Field(
        description="share leaving school from a grade: one rate for every grade, or one per grade"
    )


class _Flows(Strict):
    """Grade flows by level; the keys are the flow levels of ``sim.core.levels`` (``Flows`` below)."""

    @model_validator(mode="after")
    def _per_grade(self):
        for lv in FLOW_LEVELS:
            flow = getattr(self, lv.name)
            for what in ("repetition", "dropout"):
                v = getattr(flow, what)
                if isinstance(v, list) and len(v) != lv.grades:
                    raise ValueError(
                        f"{lv.name}.{what} lists {len(v)} grades; {lv.name} has {lv.grades} "
                        "(give one value for all grades, or one per grade)"
                    )
            rep, drop = _as_list(flow.repetition, lv.grades), _as_list(flow.dropout, lv.grades)
            for g, (r, d) in enumerate(zip(rep, drop, strict=True)):
                if r.values.max() + d.values.max() > 1 + 1e-9:
                    raise ValueError(
                        f"{lv.name} grade {g + 1}: repetition + dropout exceed 1, "
                        "leaving no one to be promoted"
                    )
        return self


def _as_list(v, n: int) -> list:
    return v if isinstance(v, list) else [v] * n


Flows = create_model(
    "Flows", __base__=_Flows, __module__=__name__, **{lv.name: (LevelFlow, ...) for lv in FLOW_LEVELS}
)
Flows.__doc__ = "Repetition and dropout by flow level (every level required)."


class Transitions(Strict):
    primary_to_junior: RateSeries
    junior_to_upper_secondary: RateSeries
    vocational_share: RateSeries = Field(description="share of upper-secondary entrants who enter 中职")
    senior_to_undergraduate: RateSeries
    senior_to_higher_vocational: RateSeries
    vocational_to_higher_vocational: RateSeries
    higher_vocational_to_undergraduate: RateSeries = Field(
        description="专升本: share of 高职 graduates entering undergraduate study"
    )

    @model_validator(mode="after")
    def _shares(self):
        total = self.senior_to_undergraduate.values.max() + self.senior_to_higher_vocational.values.max()
        if total > 1 + 1e-9:
            raise ValueError(
                "senior_to_undergraduate + senior_to_higher_vocational exceed 1 "
                f"({total:g}): a graduate enters one programme at most"
            )
        return self


class Preschool(Strict):
    enrolment_rate: dict[Literal[3, 4, 5], RateSeries] = Field(
        description="children enrolled per child of that age (ages 3, 4, 5)"
    )

    @model_validator(mode="after")
    def _all_ages(self):
        missing = {3, 4, 5} - set(self.enrolment_rate)
        if missing:
            raise ValueError(f"enrolment_rate needs ages 3, 4 and 5; missing {sorted(missing)}")
        return self


class BaseEnrolment(Strict):
    """Observed base-year stocks from which the grade-by-grade stock is laid out."""

    senior_general: Count
    secondary_vocational: Count


class Students(Strict):
    preschool: Preschool
    primary_entry_rate: RateSeries = Field(description="share of 6-year-olds entering grade 1")
    flows: Flows
    transitions: Transitions
    base: BaseEnrolment
