"""Read the data files a scenario names (CSV), checked column by column; errors name file, line and key."""

from __future__ import annotations

import difflib
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
    import pandas as pd

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
            df = pd.read_csv(path, comment="#")
        except Exception as e:  # pandas raises several types for a malformed CSV
            raise ScenarioError(f"cannot read CSV: {e}", file=path, key=".".join(key)) from None
        check_table(key, df, path, loaded.scenario)
        tables[name] = df
        paths.append(path)
    return tables, paths


_TABLE_COLUMNS = {
    ("population", "base"): ["age", "persons"],
    ("population", "mortality"): ["age", "qx"],
    ("population", "migration_profile"): ["age", "share"],
    ("attainment", "base"): ["age", *ATTAINMENT],
}
_AGES = {"population": np.arange(101), "attainment": np.arange(6, 60)}


def check_table(key: tuple, df, path: Path, scenario: Scenario | None = None) -> None:
    """Columns present, values finite and ≥ 0 (qx ≤ 1), one row per age; else a ScenarioError."""
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


def _comment_lines(path: Path) -> int:
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                n += 1
            else:
                break
    return n
