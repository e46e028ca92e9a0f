"""One scenario end to end: read its inputs, run the stages, collect results, write a run folder.

>>> from sim.runner import simulate_scenario
>>> res = simulate_scenario("baseline")
>>> round(float(res.value("GER|Preschool", 2020)), 3)
0.925
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import __version__
from .scenario import DATA_DIR, ROOT, Loaded, Scenario, ScenarioError, load
from .stage import StageContext


# ------------------------------------------------------------------ data files
def data_file_fields(model, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """Every DataFile leaf of a scenario as (key path, file name)."""
    from pydantic import BaseModel

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
    for base in (DATA_DIR, scenario_path.parent, Path.cwd()):
        p = (base / name)
        if p.is_file():
            return p.resolve()
    return DATA_DIR / name


def read_tables(loaded: Loaded) -> tuple[dict[str, Any], list[Path]]:
    """Read every DataFile the scenario names; errors name the scenario key and the CSV line."""
    import pandas as pd

    tables: dict[str, Any] = {}
    paths: list[Path] = []
    for key, name in data_file_fields(loaded.scenario):
        file, line = loaded.origins.get(key, (loaded.path, None))
        path = resolve_data_file(name, file)
        if not path.is_file():
            known = sorted(p.name for p in DATA_DIR.glob("*.csv"))
            import difflib
            close = difflib.get_close_matches(name, known, n=1)
            raise ScenarioError(f"data file '{name}' not found in data/", file=file, line=line,
                                key=".".join(key), hint=f"did you mean '{close[0]}'?" if close else None)
        try:
            df = pd.read_csv(path, comment="#")
        except Exception as e:  # pandas raises several types for a malformed CSV
            raise ScenarioError(f"cannot read CSV: {e}", file=path) from None
        _check_table(key, df, path, loaded.scenario)
        tables[name] = df
        paths.append(path)
    return tables, paths


_TABLE_COLUMNS = {
    ("population", "base"): ["age", "persons"],
    ("population", "mortality"): ["age", "qx"],
    ("population", "migration_profile"): ["age", "share"],
    ("attainment", "base"): ["age", "none", "primary", "junior", "senior", "junior_college", "bachelor"],
}


def _check_table(key: tuple, df, path: Path, scenario: Scenario | None = None) -> None:
    if key == ("teachers", "stock"):
        from .teachers_schema import check_stock
        try:
            check_stock(df, scenario.teachers.stock_totals if scenario is not None else None)
        except ValueError as e:
            import re
            m = re.match(r"line (\d+): (.*)", str(e), re.S)
            line = int(m.group(1)) + _comment_lines(path) if m else None
            raise ScenarioError(m.group(2) if m else str(e), file=path, line=line) from None
        return
    cols = _TABLE_COLUMNS.get(key)
    if cols is None:
        return
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ScenarioError(f"missing column(s) {missing}; expected {cols}", file=path, line=1)
    values = df[cols[1:]].to_numpy(dtype=float)
    bad = np.argwhere(~np.isfinite(values) | (values < 0))
    if len(bad):
        r, c = bad[0]
        raise ScenarioError(f"{cols[1 + c]} must be a number ≥ 0, got {values[r, c]!r}",
                            file=path, line=int(r) + 2 + _comment_lines(path), key=cols[1 + c])
    if key == ("population", "mortality") and (values > 1).any():
        r = int(np.argwhere(values > 1)[0][0])
        raise ScenarioError("qx is a probability and must be ≤ 1", file=path, line=r + 2 + _comment_lines(path), key="qx")
    ages = df["age"].to_numpy()
    expected = np.arange(101) if key[0] == "population" else np.arange(6, 60)
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


# ------------------------------------------------------------------- stages
def _stages(scenario: Scenario) -> list[tuple[str, Callable]]:
    from .attainment import attainment_stage
    from .cohort import student_stage
    from .demography import population_stage
    stages = [("population", population_stage), ("students", student_stage), ("attainment", attainment_stage)]
    if scenario.teachers is not None:
        from .teachers import teacher_stage
        stages.append(("teachers", lambda s, ctx: teacher_stage(s.teachers, ctx)))
    return stages


def simulate(scenario: Scenario, tables: dict[str, Any], draw_index: np.ndarray | None = None,
             options: dict | None = None, timings: dict | None = None) -> StageContext:
    """Run every stage for the given draws; returns the context holding all results."""
    if draw_index is None:
        draw_index = np.arange(scenario.draws)
    ctx = StageContext(years=scenario.years, draws=len(draw_index), seed=scenario.seed,
                       draw_index=np.asarray(draw_index), tables=tables, options=dict(options or {}))
    for name, stage in _stages(scenario):
        t0 = time.perf_counter()
        ctx.results.update(stage(scenario, ctx))
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - t0
    return ctx


@dataclass
class RunResult:
    scenario: Scenario
    loaded: Loaded
    years: np.ndarray
    draw_index: np.ndarray
    results: dict[str, np.ndarray]
    digest: str
    timings: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def value(self, variable: str, year: int, draw: int = 0) -> float:
        return float(self.results[variable][draw, int(np.searchsorted(self.years, year))])

    def frame(self):
        from .results import tidy
        return tidy(self.scenario.name, self.results, self.years, self.draw_index)


def simulate_scenario(ref: str | Path, draws: int | None = None, seed: int | None = None,
                      options: dict | None = None) -> RunResult:
    """Load a scenario (name or path) and run it; nothing is written."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    loaded = load(ref)
    scenario = loaded.scenario
    if draws is not None or seed is not None:
        scenario = scenario.model_copy(update={k: v for k, v in (("draws", draws), ("seed", seed)) if v is not None})
        loaded.scenario = scenario
    tables, paths = read_tables(loaded)
    timings["load"] = time.perf_counter() - t0
    ctx = simulate(scenario, tables, options=options, timings=timings)
    return RunResult(scenario=scenario, loaded=loaded, years=ctx.years, draw_index=ctx.draw_index,
                     results=ctx.results, digest=loaded.digest(paths), timings=timings, options=dict(ctx.options))


# ------------------------------------------------------------- run folders
def default_out(name: str) -> Path:
    return Path("outputs") / name


def write_run(res: RunResult, out: Path | None = None) -> Path:
    """Write the run folder atomically: a temporary folder renamed into place, never over another run."""
    from .results import write_tables

    base = Path(out) if out is not None else default_out(res.scenario.name)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    final = base / f"{stamp}-{res.digest[:8]}"
    n = 1
    while final.exists():
        n += 1
        final = base / f"{stamp}-{res.digest[:8]}-{n}"
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ScenarioError(f"cannot create the output folder {base}: {e.strerror}") from None
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=base))
    try:
        t0 = time.perf_counter()
        write_tables(res.frame(), tmp)
        _write_yaml(res.loaded.resolved(), tmp / "scenario.resolved.yaml")
        res.timings["write"] = time.perf_counter() - t0
        manifest = {
            "name": res.scenario.name,
            "scenario_file": _rel(res.loaded.path),
            "extends": [_rel(p) for p in res.loaded.chain[1:]],
            "scenario_hash": res.digest,
            "seed": res.scenario.seed,
            "options": res.options,
            "draws": int(len(res.draw_index)),
            "years": [int(res.years[0]), int(res.years[-1])],
            "version": __version__,
            "created": datetime.now().isoformat(timespec="seconds"),
            "timings_s": {k: round(v, 6) for k, v in res.timings.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _rel(p: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def _write_yaml(data: dict, path: Path) -> None:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    with open(path, "w", encoding="utf-8") as f:
        yaml.dump(data, f)


def write_text_atomic(text: str, out: Path | None, stem: str, suffix: str = ".html") -> Path:
    """Write a file whole or not at all; the default name never replaces an earlier file."""
    if out is None:
        folder = Path("outputs") / "reports"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = folder / f"{stem}-{stamp}{suffix}"
        n = 1
        while out.exists():
            n += 1
            out = folder / f"{stem}-{stamp}-{n}{suffix}"
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    except OSError as e:
        raise ScenarioError(f"cannot write {out}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
