"""Field types shared by every section of the scenario schema.

A section of the scenario (``population:``, ``teachers:``, ...) is a pydantic
model built from these: ``Strict`` forbids unknown keys (so typos are caught),
the series types parse and bound a value over time, ``DataFile`` names a CSV in
``data/`` that the runner reads before the model runs.

Every number is finite and of plausible size: NaN, ±infinity and |x| > 1e15 are refused
(by ``parse_number`` for series and rates, by ``Strict`` for plain float fields).

>>> RateModel = type("RateModel", (Strict,), {"__annotations__": {"r": RateSeries}})
>>> RateModel.model_validate({"r": 1.0000001})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for RateModel
r
  Value error, a rate must be ≤ 1; got 1.0000001 [type=value_error, ...
"""

from __future__ import annotations

import re
from typing import Annotated, Any, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    field_validator,
)

from ..core.series import GROWTH_HINT, Series, SeriesError, check_number, parse_number, show_number


def _series(value: Any) -> Series:
    if isinstance(value, Series):  # built in code (defaults, model_copy): check its numbers all the same
        for v in (*(v for _, v in value.points), *(() if value.growth is None else (value.growth,))):
            check_number(v)
        if value.growth is not None and value.growth <= -1:
            raise SeriesError(
                f"growth must be > -100 % a year (-1); got {show_number(value.growth)}", hint=GROWTH_HINT
            )
        return value
    return Series.parse(value)  # SeriesError is a ValueError: pydantic reports it, with its hint


class Bounded:
    """The after-validator of a bounded series type; ``lo``/``hi``/``what`` are read by the loader's
    horizon check (``sim.schema.load``), which evaluates series with a growth over the horizon."""

    def __init__(self, lo: float | None, hi: float | None, what: str):
        self.lo, self.hi, self.what = lo, hi, what

    def hint(self) -> str | None:
        return 'rates are fractions: write 0.95 or "95%"' if self.hi == 1 else None

    def __call__(self, s: Series) -> Series:
        vals = s.values
        if self.lo is not None and (vals < self.lo).any():
            raise SeriesError(
                f"{self.what} must be ≥ {self.lo:g}; got {show_number(vals.min())}", hint=self.hint()
            )
        if self.hi is not None and (vals > self.hi).any():
            raise SeriesError(
                f"{self.what} must be ≤ {self.hi:g}; got {show_number(vals.max())}", hint=self.hint()
            )
        return s


def _bounded(lo: float | None, hi: float | None, what: str) -> Bounded:
    return Bounded(lo, hi, what)


def series_bounds(annotation: Any, metadata: list = ()) -> Bounded | None:
    """The ``Bounded`` check of a (possibly nested: list, dict, Union, Optional) series field type."""
    for m in metadata:
        if isinstance(m, AfterValidator) and isinstance(m.func, Bounded):
            return m.func
    for a in get_args(annotation):
        if isinstance(a, AfterValidator) and isinstance(a.func, Bounded):
            return a.func
        found = series_bounds(a)
        if found is not None:
            return found
    return None


def _number(value: Any) -> float:
    return parse_number(value)  # SeriesError is a ValueError, with a hint


_dump = PlainSerializer(lambda s: s.to_yaml(), return_type=Any)
AnySeries = Annotated[Series, PlainValidator(_series), _dump]
RateSeries = Annotated[Series, PlainValidator(_series), AfterValidator(_bounded(0, 1, "a rate")), _dump]
CountSeries = Annotated[Series, PlainValidator(_series), AfterValidator(_bounded(0, None, "a count")), _dump]
PositiveSeries = Annotated[
    Series, PlainValidator(_series), AfterValidator(_bounded(1e-12, None, "this value")), _dump
]
Rate = Annotated[float, BeforeValidator(_number), Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[float, BeforeValidator(_number), Field(ge=0, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1950, le=2100)]


def _plausible(value: Any, depth: int = 0) -> None:
    """Raise SeriesError for a float (also inside lists and dicts) that is not finite or |x| > 1e15."""
    if isinstance(value, float):
        check_number(value)
    elif depth < 3 and isinstance(value, (list, tuple)):
        for v in value:
            _plausible(v, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for v in value.values():
            _plausible(v, depth + 1)


class Strict(BaseModel):
    # allow_inf_nan=False: no float field of any section takes NaN or ±infinity; defer_build: a
    # model's validator is built when first used (Scenario's builds its sections'), not at import
    # (start-up time, issue #13)
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False, defer_build=True)

    @field_validator("*", mode="after")
    @classmethod
    def _plausible_numbers(cls, value: Any) -> Any:
        _plausible(value)
        return value


class Text(Strict):
    zh: str
    en: str


# A CSV file in data/ (or a path relative to the working folder); the runner reads it.
DataFile = Annotated[str, Field(min_length=1, json_schema_extra={"data_file": True})]


# ------------------------------------------------------------------ names
class InputError(ValueError):
    """A ValueError with a ``hint`` the scenario loader shows on its own line."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


# A scenario's name becomes a folder under outputs/: portable on Linux, macOS and Windows.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
NAME_RULE = "a name is letters, digits, '.', '_' or '-', starting with a letter or digit"
NAME_MAX = 100
_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?", re.IGNORECASE)


def check_name(name: Any) -> str:
    """``name`` if it can be a folder name everywhere, else a ValueError in plain words (with ``hint``).

    >>> check_name("low-births")
    'low-births'
    >>> check_name("con")
    Traceback (most recent call last):
    ...
    sim.schema.fields.InputError: 'con' is a name Windows reserves for a device (CON, PRN, ...)
    """
    folder = "the name becomes a folder under outputs/"
    if not isinstance(name, str):
        raise InputError(f"a name must be text; got {name!r}"[:120], hint=NAME_RULE)
    if len(name) > NAME_MAX:
        raise InputError(
            f"a name is at most {NAME_MAX} characters; this one has {len(name)}",
            hint=f"{folder}: use a short one, e.g. low-births-2030",
        )
    if not re.fullmatch(NAME_PATTERN.strip("^$"), name):
        shown = repr(name) if len(name) <= 40 else repr(name[:37] + "...")
        raise InputError(f"{shown} is not a valid name", hint=NAME_RULE)
    if _RESERVED.fullmatch(name):
        raise InputError(
            f"{name!r} is a name Windows reserves for a device (CON, PRN, AUX, NUL, COM1-9, LPT1-9)",
            hint=f"{folder}: choose another, e.g. 'scenario-{name}'",
        )
    return name


# A scenario's ``name``: the rules above (scenario.py may use this type; the loader checks it in any case).
Name = Annotated[str, AfterValidator(check_name)]
