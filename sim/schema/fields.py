"""Field types shared by every section of the scenario schema.

A section of the scenario (``population:``, ``teachers:``, ...) is a pydantic
model built from these: ``Strict`` forbids unknown keys (so typos are caught),
the series types parse and bound a value over time, ``DataFile`` names a CSV in
``data/`` that the runner reads before the model runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
)

from ..core.series import Series, SeriesError, parse_number

def _series(value: Any) -> Series:
    try:
        return Series.parse(value)
    except SeriesError as e:
        raise ValueError(str(e)) from None


def _bounded(lo: float | None, hi: float | None, what: str):
    def check(s: Series) -> Series:
        vals = s.values
        if lo is not None and (vals < lo).any():
            raise ValueError(f"{what} must be ≥ {lo:g}; got {vals.min():g}")
        if hi is not None and (vals > hi).any():
            raise ValueError(f"{what} must be ≤ {hi:g}; got {vals.max():g}"
                             + (" (rates are fractions: write 0.95 or \"95%\")" if hi == 1 else ""))
        return s
    return check


def _number(value: Any) -> float:
    try:
        return parse_number(value)
    except SeriesError as e:
        raise ValueError(str(e)) from None


_dump = PlainSerializer(lambda s: s.to_yaml(), return_type=Any)
AnySeries = Annotated[Series, PlainValidator(_series), _dump]
RateSeries = Annotated[Series, PlainValidator(_series), AfterValidator(_bounded(0, 1, "a rate")), _dump]
CountSeries = Annotated[Series, PlainValidator(_series), AfterValidator(_bounded(0, None, "a count")), _dump]
PositiveSeries = Annotated[Series, PlainValidator(_series), AfterValidator(_bounded(1e-12, None, "this value")), _dump]
Rate = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1)]
Count = Annotated[float, BeforeValidator(_number), Field(ge=0)]
Year = Annotated[int, Field(ge=1950, le=2100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Text(Strict):
    zh: str
    en: str


# A CSV file in data/ (or a path relative to the working folder); the runner reads it.
DataFile = Annotated[str, Field(min_length=1, json_schema_extra={"data_file": True})]
