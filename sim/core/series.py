"""One type for every value that varies over time.

A scenario writes a series in one of three ways::

    0.95                       # a constant ("95%" is accepted for rates)
    {2020: 17000, 2024: 12000} # points, linear between them, flat outside
    {start: 17000, growth: -0.03}          # start value in the first year, then growth
    {2020: 17000, 2024: 12000, growth: -0.03}  # points, then growth after the last point

>>> import numpy as np
>>> Series.parse({2020: 10, 2022: 20}).evaluate(np.arange(2019, 2024)).tolist()
[10.0, 10.0, 15.0, 20.0, 20.0]
>>> Series.parse({"start": 100, "growth": 0.1}).evaluate(np.arange(2020, 2023)).round(6).tolist()
[100.0, 110.0, 121.0]
>>> Series.parse("95%").evaluate(np.arange(2020, 2022)).tolist()
[0.95, 0.95]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class SeriesError(ValueError):
    """A series written in a way that cannot be read; the message says how to write it.

    ``hint`` (optional) says what to write instead; the scenario loader shows it on its own line.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


# No quantity of the model (persons, yuan, rates, ratios) comes near this: a bigger number is a typo.
MAX_MAGNITUDE = 1e15
FINITE_HINT = 'write a number such as 12000, 0.95 or "95%"'
GROWTH_HINT = "growth is a fraction a year: -0.06 for -6 %, 0.02 for +2 %"


def show_number(x: float) -> str:
    """``x`` in as few digits as tell it apart from any other float: 1.0000001 stays 1.0000001.

    >>> show_number(1.0000001), show_number(1.5), show_number(2.0), show_number(1e20)
    ('1.0000001', '1.5', '2', '1e+20')
    """
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "infinity" if x > 0 else "-infinity"
    short = f"{x:g}"
    return short if float(short) == x else repr(x)


def check_number(x: float) -> float:
    """``x`` if it is finite and of plausible size (|x| ≤ 1e15), else a SeriesError saying why.

    >>> check_number(float("nan"))
    Traceback (most recent call last):
    ...
    sim.core.series.SeriesError: NaN (not a number) cannot be used as a value
    """
    if math.isnan(x):
        raise SeriesError("NaN (not a number) cannot be used as a value", hint=FINITE_HINT)
    if math.isinf(x):
        raise SeriesError(
            f"{show_number(x)} (or a number too large to hold, such as 1e400) cannot be used as a value",
            hint=FINITE_HINT,
        )
    if abs(x) > MAX_MAGNITUDE:
        raise SeriesError(
            f"{show_number(x)} is not a plausible value (the limit is ±{MAX_MAGNITUDE:g})",
            hint="check for a typo: extra zeros or a misplaced exponent",
        )
    return x


def parse_number(value: Any) -> float:
    """Read a number, accepting "95%" as 0.95; NaN, infinity and |x| > 1e15 are refused.

    >>> parse_number("95%"), parse_number("1e3"), parse_number(2)
    (0.95, 1000.0, 2.0)
    >>> parse_number("1e400")
    Traceback (most recent call last):
    ...
    sim.core.series.SeriesError: infinity (or a number too large to hold, such as 1e400) cannot be used ...
    """
    if isinstance(value, bool):
        raise SeriesError(f"expected a number, got {value!r}", hint=FINITE_HINT)
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            return check_number(float(value))
        except OverflowError:  # an int too big for a float
            raise SeriesError(
                "a number of more than 300 digits is not a plausible value",
                hint="check for a typo: extra zeros",
            ) from None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            number = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            pass
        else:
            return check_number(number)
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise SeriesError(f'expected a number (or a percentage such as "95%"), got {shown}', hint=FINITE_HINT)


def parse_growth(value: Any) -> float:
    """A growth rate a year: a number > -1 (-1 or less would take the series to zero or below).

    >>> parse_growth("-6%")
    -0.06
    >>> parse_growth(-5)
    Traceback (most recent call last):
    ...
    sim.core.series.SeriesError: growth must be > -100 % a year (-1); got -5, which would take the series ...
    """
    g = parse_number(value)
    if g <= -1:
        raise SeriesError(
            f"growth must be > -100 % a year (-1); got {show_number(g)}, which would take "
            f"the series {'to' if g == -1 else 'below'} zero",
            hint=GROWTH_HINT,
        )
    return g


# Series.evaluate's results by (series, years): a series is immutable, and every run (every chunk of
# draws) evaluates the scenario's series on the same years
_EVALUATED: dict[tuple, np.ndarray] = {}
_EVALUATED_MAX = 4096


@dataclass(frozen=True)
class Series:
    """A value over time: ``points`` (year → value) and optional ``growth`` after the last point.

    A constant is one point; ``{start, growth}`` is one point at the first
    year of the horizon (``start_year`` is filled in when evaluated).
    """

    points: tuple[tuple[int, float], ...]
    growth: float | None = None
    from_start: bool = False  # {start: v, growth: r}: the point sits at the horizon's first year
    source: str | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, value: Any) -> Series:
        if isinstance(value, Series):
            return value
        if isinstance(value, Mapping):
            return cls._parse_mapping(value)
        if isinstance(value, (list, tuple)):
            raise SeriesError(
                "a series is a number, {year: value, ...} or {start: value, growth: rate}, not a list"
            )
        return cls(points=((0, parse_number(value)),), from_start=True)

    @classmethod
    def _parse_mapping(cls, value: Mapping) -> Series:
        data = dict(value)
        source = data.pop("source", None)
        if source is not None and not isinstance(source, str):
            raise SeriesError("`source` of a series must be text")
        growth = data.pop("growth", None)
        growth = None if growth is None else parse_growth(growth)
        if "start" in data:
            start = parse_number(data.pop("start"))
            if data:
                raise SeriesError(
                    f"{{start, growth}} series cannot also have {sorted(map(str, data))}; "
                    "use year points instead"
                )
            return cls(points=((0, start),), growth=growth or 0.0, from_start=True, source=source)
        if not data:
            raise SeriesError(
                "a series needs at least one point: {year: value} or {start: value, growth: rate}"
            )
        points = []
        for year, v in data.items():
            try:
                if isinstance(year, (bool, float)):  # 2021.5 would silently become 2021
                    raise TypeError
                y = int(year)
            except (TypeError, ValueError, OverflowError):
                shown = repr(year) if len(repr(year)) <= 40 else repr(year)[:37] + "..."
                raise SeriesError(
                    f"series key {shown} is not a year; keys are years, `start`, `growth` or `source`",
                    hint="write {2021: 15764, 2025: 12000} or {start: 15764, growth: -0.03}",
                ) from None
            if not 1900 <= y <= 2200:
                raise SeriesError(f"series year {y} is not a plausible year (1900-2200)")
            points.append((y, parse_number(v)))
        points.sort()
        return cls(points=tuple(points), growth=growth, source=source)

    @classmethod
    def constant(cls, value: float) -> Series:
        return cls(points=((0, float(value)),), from_start=True)

    # --------------------------------------------------------------- evaluation
    @property
    def values(self) -> np.ndarray:
        return np.array([v for _, v in self.points], dtype=float)

    def evaluate(self, years: np.ndarray) -> np.ndarray:
        """The series on ``years`` (an increasing integer array) as float64 (a new array each call)."""
        years = np.asarray(years)
        key = (self.points, self.growth, self.from_start, years.dtype.str, years.tobytes())
        hit = _EVALUATED.get(key)
        if hit is None:
            if len(_EVALUATED) >= _EVALUATED_MAX:
                _EVALUATED.clear()
            hit = _EVALUATED[key] = self._evaluate(years)
        return hit.copy()

    def _evaluate(self, years: np.ndarray) -> np.ndarray:
        if self.from_start:
            base = np.full(years.shape, self.points[0][1], dtype=float)
            if self.growth:
                base = base * (1.0 + self.growth) ** (years - years[0])
            return base
        xs = np.array([y for y, _ in self.points], dtype=float)
        out = np.interp(years.astype(float), xs, self.values)
        if self.growth is not None:
            last_year, last_value = self.points[-1]
            after = years > last_year
            out[after] = last_value * (1.0 + self.growth) ** (years[after] - last_year)
        return out

    # ------------------------------------------------------------ serialising
    def to_yaml(self) -> Any:
        """The plain form this series would be written in."""
        if self.from_start:
            if self.growth:
                out: dict[str, Any] = {"start": self.points[0][1], "growth": self.growth}
            elif self.source is None:
                return self.points[0][1]
            else:
                out = {"start": self.points[0][1]}
        else:
            out = {int(y): v for y, v in self.points}
            if self.growth is not None:
                out["growth"] = self.growth
        if self.source is not None:
            out["source"] = self.source
        return out

    def __repr__(self) -> str:  # short, for error messages
        return f"Series({self.to_yaml()!r})"
