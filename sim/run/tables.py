"""Read the data files a scenario names (CSV), checked column by column; errors name file, line and key.

The tables are small (the largest, the teacher stock, has ~1,500 rows), so they are read with the
csv module into a ``Table``: numpy columns with the few pandas methods the stages use. That keeps
pandas (~0.2 s to import) out of ``edusim run`` and ``edusim validate`` (issue #13);
``Table.to_pandas()`` gives a DataFrame where one is wanted.

>>> t = Table({"age": np.array([0, 1]), "sex": np.array(["f", "m"], dtype=object)})
>>> len(t), t.columns, t["age"].to_numpy(dtype=float).tolist(), (t["sex"] == "m").to_numpy().tolist()
(2, ['age', 'sex'], [0.0, 1.0], [False, True])
"""

from __future__ import annotations

import csv
import difflib
import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..core.errors import ScenarioError
from ..core.levels import ATTAINMENT
from ..core.paths import data_dir
from ..schema.load import Loaded
from ..schema.scenario import Scenario
from ..schema.teachers import StockError, check_stock

MAX_TABLE_BYTES = 20_000_000  # a data table larger than this is refused (the shipped ones are < 100 kB)


def data_file_fields(model: BaseModel, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """Every DataFile leaf of a scenario as (key path, file name)."""
    out = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("data_file") and isinstance(value, str):
            out.append((prefix + (name,), value))
        elif isinstance(value, BaseModel):
            out.extend(data_file_fields(value, prefix + (name,)))
    return out


def resolve_data_file(name: str, scenario_path: Path) -> Path:
    """A data file name → its path: the shipped data first, then beside the scenario, then here."""
    for base in (data_dir(), scenario_path.parent, Path.cwd()):
        p = base / name
        if p.is_file():
            return p.resolve()
    return data_dir() / name


def read_tables(loaded: Loaded) -> tuple[dict[str, Any], list[Path]]:
    """Read every DataFile the scenario names; errors name the scenario key and the CSV line."""
    tables: dict[str, Any] = {}
    paths: list[Path] = []
    for key, name in data_file_fields(loaded.scenario):
        file, line = loaded.origins.get(key, (loaded.path, None))
        path = resolve_data_file(name, file)
        if not path.is_file():
            known = sorted(p.name for p in data_dir().glob("*.csv"))
            close = difflib.get_close_matches(name, known, n=1)
            raise ScenarioError(
                f"data file '{name}' not found in data/",
                file=file,
                line=line,
                key=".".join(key),
                hint=f"did you mean '{close[0]}'?" if close else None,
            )
        if path.stat().st_size > MAX_TABLE_BYTES:
            raise ScenarioError(
                f"data file is {path.stat().st_size / 1e6:.0f} MB, over the "
                f"{MAX_TABLE_BYTES / 1e6:.0f} MB limit",
                file=path,
                key=".".join(key),
            )
        try:
            df = read_csv(path)
        except CsvError as e:
            raise ScenarioError(f"cannot read CSV: {e}", file=path, line=e.line, key=".".join(key)) from None
        check_table(key, df, path, loaded.scenario)
        tables[name] = df
        paths.append(path)
    return tables, paths


# ------------------------------------------------------------------ a small read-only table
class Column:
    """One column: a numpy array (int64, float64 with NaN for an empty cell, or object for text)
    with the pandas Series methods the stages and checks use."""

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray):
        self.values = values

    def to_numpy(self, dtype=None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype, copy=False)

    def __array__(self, dtype=None, copy=None):
        return self.to_numpy(dtype)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def iloc(self) -> np.ndarray:
        return self.values

    def map(self, mapping: dict) -> Column:
        """Each value looked up in ``mapping`` (NaN where it is not there), as pandas does."""
        out = [mapping.get(v, math.nan) for v in self.values.tolist()]
        return Column(np.array(out) if out else np.array([], dtype=float))

    def isin(self, values) -> Column:
        ok = set(values)
        return Column(np.array([v in ok for v in self.values.tolist()], dtype=bool))

    def __eq__(self, other) -> Column:  # type: ignore[override]
        return Column(np.array([v == other for v in self.values.tolist()], dtype=bool))

    def __ne__(self, other) -> Column:  # type: ignore[override]
        return Column(~(self == other).values)

    def __and__(self, other) -> Column:
        return Column(self.values & np.asarray(other))

    def __or__(self, other) -> Column:
        return Column(self.values | np.asarray(other))

    def __invert__(self) -> Column:
        return Column(~self.values)

    __hash__ = None  # type: ignore[assignment]


class Table:
    """A read-only table of named columns, each a ``Column`` of the same length."""

    def __init__(self, columns: dict[str, np.ndarray]):
        for v in columns.values():
            v.flags.writeable = False  # shared by every run of the scenario, as pandas' are
        self._columns = dict(columns)

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()))) if self._columns else 0

    def __getitem__(self, key):
        if isinstance(key, list):
            return Table({k: self._columns[k] for k in key})
        return Column(self._columns[key])

    def to_numpy(self, dtype=None) -> np.ndarray:
        """(rows, columns), column-major as pandas gives it."""
        cols = [v if dtype is None else v.astype(dtype, copy=False) for v in self._columns.values()]
        return np.vstack(cols).T if cols else np.empty((0, 0), dtype=dtype)

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(dict(self._columns))

    def __repr__(self) -> str:
        return f"Table({len(self)} rows: {', '.join(self.columns)})"


class CsvError(ValueError):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


_NA = {"", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "#N/A", "<NA>"}
_INT = re.compile(r"^\s*[-+]?[0-9]+\s*$")
_FLOAT = re.compile(
    r"^\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$|^\s*[-+]?(?:inf|Inf|INF|infinity|Infinity)\s*$"
)


def _column(cells: list[str]) -> np.ndarray:
    """Text cells → int64 (all whole numbers), float64 (numbers, an empty cell as NaN) or object
    (text, an empty cell as NaN), as pandas.read_csv infers them."""
    present = [c for c in cells if c.strip() not in _NA]
    if present and len(present) == len(cells) and all(_INT.match(c) for c in cells):
        try:
            return np.array([int(c) for c in cells], dtype=np.int64)
        except OverflowError:  # beyond int64: read as floats
            pass
    if all(_FLOAT.match(c) for c in present):
        return np.array([float(c) if c.strip() not in _NA else math.nan for c in cells], dtype=float)
    return np.array([c if c.strip() not in _NA else math.nan for c in cells], dtype=object)


def read_csv(path: Path) -> Table:
    """A data file as a ``Table``: a header row, then one row per line; ``#`` starts a comment and
    blank lines are skipped. Raises CsvError naming the line of a malformed row."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise CsvError(str(e)) from None
    rows: list[tuple[int, list[str]]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if "#" in line:
            line = line[: line.index("#")]
        if line.strip():
            rows.append((n, next(csv.reader([line]))))
    if not rows:
        raise CsvError("No columns to parse from file")
    header = rows[0][1]
    names: list[str] = []
    for h in header:
        name, k = h, 0
        while name in names:  # a repeated name becomes name.1, name.2 (as pandas names them)
            k += 1
            name = f"{h}.{k}"
        names.append(name)
    width = len(names)
    cells: list[list[str]] = [[] for _ in names]
    for n, record in rows[1:]:
        if len(record) > width:
            raise CsvError(f"expected {width} fields in line {n}, saw {len(record)}", line=n)
        record = record + [""] * (width - len(record))
        for i, c in enumerate(record):
            cells[i].append(c)
    return Table({name: _column(col) for name, col in zip(names, cells, strict=True)})


_TABLE_COLUMNS = {
    ("population", "base"): ["age", "persons"],
    ("population", "mortality"): ["age", "qx"],
    ("population", "migration_profile"): ["age", "share"],
    ("attainment", "base"): ["age", *ATTAINMENT],
}
_AGES = {"population": np.arange(101), "attainment": np.arange(6, 60)}


DIVISION_COLUMNS = [
    "name",
    "name_en",
    "kind",
    "population",
    "urban_share",
    "share_0_4",
    "share_5_9",
    "share_10_14",
    "share_15_19",
    "share_15_64",
    "share_65_plus",
]
DIVISION_KINDS = ("district", "county", "zone")


def check_divisions(df, path: Path) -> None:
    """The division table: its columns, one row per name, a kind, people in every division and
    shares from 0 to 1 whose age groups add up to 1 (within the census' rounding)."""
    missing = [c for c in DIVISION_COLUMNS if c not in df.columns]
    if missing:
        raise ScenarioError(f"missing column(s) {missing}; expected {DIVISION_COLUMNS}", file=path, line=1)
    line = _data_lines(path)
    names = [str(x) for x in df["name"].to_numpy()]
    for i, n in enumerate(names):
        if names.index(n) != i:
            raise ScenarioError(f"division {n!r} is listed twice", file=path, line=line(i), key="name")
    for i, k in enumerate(str(x) for x in df["kind"].to_numpy()):
        if k not in DIVISION_KINDS:
            raise ScenarioError(
                f"kind {k!r} of {names[i]} is not one of {', '.join(DIVISION_KINDS)}",
                file=path,
                line=line(i),
                key="kind",
            )
    try:
        values = df[DIVISION_COLUMNS[3:]].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(f"columns {DIVISION_COLUMNS[3:]} must hold numbers", file=path, line=1) from None
    share = np.arange(values.shape[1]) > 0
    for r, c in np.argwhere(~np.isfinite(values) | (values < 0) | ((values > 1) & share)):
        raise ScenarioError(
            f"{DIVISION_COLUMNS[3 + c]} of {names[r]} must be {'≥ 0' if c == 0 else 'a share from 0 to 1'}, "
            f"got {float(values[r, c]):g}",
            file=path,
            line=line(int(r)),
            key=DIVISION_COLUMNS[3 + c],
        )
    for r in np.flatnonzero(values[:, 0] <= 0):
        raise ScenarioError(
            f"{names[r]} has no population",
            file=path,
            line=line(int(r)),
            key="population",
            hint="every division needs its census population; remove the row if it is not part of the city",
        )
    # columns after population: urban, 0-4, 5-9, 10-14, 15-19, 15-64, 65+ (15-19 is inside 15-64)
    total = values[:, 2] + values[:, 3] + values[:, 4] + values[:, 6] + values[:, 7]
    for r in np.flatnonzero(np.abs(total - 1.0) > 0.01):
        raise ScenarioError(
            f"the age shares of {names[r]} add up to {total[r]:.4f}, not 1",
            file=path,
            line=line(int(r)),
            key="share_0_4",
            hint="share_0_4 + share_5_9 + share_10_14 + share_15_64 + share_65_plus must be 1",
        )


def check_table(key: tuple, df, path: Path, scenario: Scenario | None = None) -> None:
    """Columns present, values finite and ≥ 0 (qx ≤ 1), one row per age; else a ScenarioError."""
    if key == ("regions", "table"):
        check_divisions(df, path)
        return
    if key == ("teachers", "stock"):
        try:
            check_stock(df, scenario.teachers.stock_totals if scenario is not None else None)
        except StockError as e:
            raise ScenarioError(
                e.message, file=path, line=e.line + _comment_lines(path) if e.line else None
            ) from None
        return
    cols = _TABLE_COLUMNS.get(key)
    if cols is None:
        return
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ScenarioError(f"missing column(s) {missing}; expected {cols}", file=path, line=1)
    try:
        values = df[cols[1:]].to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(f"columns {cols[1:]} must hold numbers", file=path, line=1) from None
    bad = np.argwhere(~np.isfinite(values) | (values < 0))
    if len(bad):
        r, c = bad[0]
        raise ScenarioError(
            f"{cols[1 + c]} must be a number ≥ 0, got {values[r, c]!r}",
            file=path,
            line=int(r) + 2 + _comment_lines(path),
            key=cols[1 + c],
        )
    if key == ("population", "mortality") and (values > 1).any():
        r = int(np.argwhere(values > 1)[0][0])
        raise ScenarioError(
            "qx is a probability and must be ≤ 1", file=path, line=r + 2 + _comment_lines(path), key="qx"
        )
    ages = df["age"].to_numpy()
    expected = _AGES[key[0]]
    if not np.array_equal(ages, expected):
        raise ScenarioError(f"ages must run {expected[0]}..{expected[-1]} one row each", file=path, key="age")


def _data_lines(path: Path):
    """row index → the file line of that data row (1-based), skipping the header and any blank or
    comment line, wherever they are."""
    lines = []
    with open(path, encoding="utf-8-sig") as f:
        header = False
        for n, text in enumerate(f, start=1):
            if not text.strip() or text.startswith("#"):
                continue
            if not header:
                header = True
                continue
            lines.append(n)
    return lambda r: lines[r] if 0 <= r < len(lines) else None


def _comment_lines(path: Path) -> int:
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                n += 1
            else:
                break
    return n


@lru_cache(maxsize=1)
def division_shapes() -> dict:
    """The divisions' boundaries and seats (data/districts.geojson, a FeatureCollection whose
    features carry ``name``, ``en`` and ``cp``, the seat's longitude and latitude), read once."""
    return json.loads((data_dir() / "districts.geojson").read_text(encoding="utf-8"))
