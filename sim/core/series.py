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

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np


class SeriesError(ValueError):
    """A series written in a way that cannot be read; the message says how to write it."""


def parse_number(value: Any) -> float:
    """Read a number, accepting "95%" as 0.95.

    >>> parse_number("95%"), parse_number("1e3"), parse_number(2)
    (0.95, 1000.0, 2.0)
    """
    if isinstance(value, bool):
        raise SeriesError(f"expected a number, got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            if text.endswith("%"):
                return float(text[:-1]) / 100.0
            return float(text)
        except ValueError:
            pass
    raise SeriesError(f"expected a number (or a percentage such as \"95%\"), got {value!r}")


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
    def parse(cls, value: Any) -> "Series":
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
    def _parse_mapping(cls, value: Mapping) -> "Series":
        data = dict(value)
        source = data.pop("source", None)
        if source is not None and not isinstance(source, str):
            raise SeriesError("`source` of a series must be text")
        growth = data.pop("growth", None)
        growth = None if growth is None else parse_number(growth)
        if "start" in data:
            start = parse_number(data.pop("start"))
            if data:
                raise SeriesError(
                    f"{{start, growth}} series cannot also have {sorted(map(str, data))}; "
                    "use year points instead"
                )
            return cls(points=((0, start),), growth=growth or 0.0, from_start=True, source=source)
        if not data:
            raise SeriesError("a series needs at least one point: {year: value} or {start: value, growth: rate}")
        points = []
        for year, v in data.items():
            try:
                y = int(year)
            except (TypeError, ValueError):
                raise SeriesError(
                    f"series key {year!r} is not a year; keys are years, `start`, `growth` or `source`"
                ) from None
            if not 1900 <= y <= 2200:
                raise SeriesError(f"series year {y} is not a plausible year (1900-2200)")
            points.append((y, parse_number(v)))
        points.sort()
        return cls(points=tuple(points), growth=growth, source=source)

    @classmethod
    def constant(cls, value: float) -> "Series":
        return cls(points=((0, float(value)),), from_start=True)

    # --------------------------------------------------------------- evaluation
    @property
    def values(self) -> np.ndarray:
        return np.array([v for _, v in self.points], dtype=float)

    def evaluate(self, years: np.ndarray) -> np.ndarray:
        """The series on ``years`` (an increasing integer array) as float64."""
        years = np.asarray(years)
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

    def map_values(self, func) -> "Series":
        """A series of the same shape with every stored value passed through ``func``."""
        return Series(
            points=tuple((y, float(func(v))) for y, v in self.points),
            growth=self.growth,
            from_start=self.from_start,
            source=self.source,
        )

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
