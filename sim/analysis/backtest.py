"""Forecast error by lead time, as US NCES publishes for its projections, beside naive benchmarks.

Every scenario ``scenarios/backtest-YYYY.yaml`` starts the model in YYYY from what was known
then; the baseline starts in its own base year. Each is run and compared with every observed
value (``data/observed.csv``) after its base year and within its horizon. Per indicator and lead
time: the error (model − observed), the absolute percentage error (APE), and with draws whether
the observation fell inside the model's 50 % and 90 % intervals and how wide they were.

Two naive methods forecast the same observations from the same base year, so that the model's
error has something to be measured against:

* **no change** (``naive_no_change``): the value observed in the base year, held;
* **cohort ratio** (``naive_cohort_ratio``): the enrolment ratio method of NCES and the GLA, a
  level's base-year enrolment / the base-year population of its official ages, applied to the
  population of those ages in the forecast year, that population being the base-year table aged
  with survival only (``age_without_migration``: no migration, births held at the base year's
  age-0 count). A rate (GER, NER, consolidation, mean years) is held at its base-year value: a
  ratio method has nothing else to offer for a ratio. Year-end population: the aged table's total.

Summaries by lead time and overall: MAPE of the model and of each naive method, the skill score
1 − MAPE_model / MAPE_naive (over the observations both forecast: > 0 the model beats the naive
method, < 0 it does worse), and with draws the share of observations inside each interval and
the intervals' mean width as a share of the observed value.

>>> obs = pd.DataFrame({"year": [2020], "variable": ["GER|Preschool"], "value": [0.9], "source": ["x"]})
>>> rows = compare(2015, {"GER|Preschool": np.array([[0.8, 0.85, 0.95]]).T.repeat(6, axis=1)},
...                np.arange(2015, 2021), obs)
>>> rows[["lead", "error", "ape"]].round(3).values.tolist()
[[5.0, -0.05, 0.056]]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.levels import LABEL, LEVELS, official_ages, upper_secondary
from ..core.paths import data_dir, scenario_dir

# the naive methods: the name of their columns in backtest.csv and summary.csv
NAIVE = ("no-change", "cohort-ratio")
# variables a ratio method can only hold at their base-year value
RATE_PREFIXES = ("GER|", "NER|", "Consolidation rate|", "Mean years of schooling|", "Share|")
# The model counts people at about 1 November; year-end is two months later (sim/stages/population.py).
TO_YEAR_END = 2 / 12


def base_years() -> dict[int, str]:
    """Base year → scenario for every back-test the data allow (and the baseline)."""
    out = {
        int(p.stem.split("-")[1]): p.stem
        for p in scenario_dir().glob("backtest-*.yaml")
        if p.stem.split("-")[1].isdigit()
    }
    out.setdefault(2020, "baseline")
    return dict(sorted(out.items()))


def observed(path: Path | None = None) -> pd.DataFrame:
    return pd.read_csv(path or data_dir() / "observed.csv", comment="#")


# ------------------------------------------------------------------ naive methods
def level_ages() -> dict[str, tuple[int, int]]:
    """``Enrolment|<level>`` → its official ages (first, last), upper secondary included.

    >>> level_ages()["Enrolment|Preschool"], level_ages()["Enrolment|Upper secondary"]
    ((3, 5), (15, 17))
    """
    out = {f"Enrolment|{LABEL[lv.name]}": official_ages(lv.name) for lv in LEVELS}
    out["Enrolment|Upper secondary"] = official_ages(upper_secondary()[0])
    return out


def base_values(base: int, obs: pd.DataFrame) -> dict[str, float]:
    """{variable: value} of the observations of the base year (each calibrates its own run, so it
    is never scored, but it is what a planner in that year knew)."""
    rows = obs[obs["year"] == base]
    return {str(v): float(x) for v, x in zip(rows["variable"], rows["value"], strict=True)}


def _index(rows: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([rows["year"].astype(int), rows["variable"]], names=["year", "variable"])


def naive_no_change(base: int, obs: pd.DataFrame) -> pd.Series:
    """The no-change forecast of every observation after ``base``: the value observed in the base
    year for the same variable, NaN (skipped) when the base year has none. Indexed by (year,
    variable).

    >>> obs = pd.DataFrame({"year": [2015, 2020, 2020], "variable": ["a", "a", "b"],
    ...                     "value": [1.0, 2.0, 3.0]})
    >>> naive_no_change(2015, obs).tolist()
    [1.0, nan]
    """
    known = base_values(base, obs)
    later = obs[obs["year"] > base]
    return pd.Series(
        [known.get(v, np.nan) for v in later["variable"]],
        index=_index(later),
        dtype=float,
    )


def age_without_migration(base: np.ndarray, qx: np.ndarray, steps: int) -> np.ndarray:
    """The base-year population by single year of age (A,) aged ``steps`` years with survival only:
    (steps + 1, A), row 0 the base year.

    Each year the people of the year before die at ``qx`` (A,) or (steps + 1, A) (row t: the
    rates of year t, row 0 unused) and the survivors age by one year, the last age open-ended;
    age 0 is held at the base year's age-0 count (births held, the infant deaths already out of
    that count); nobody moves in or out.

    >>> age_without_migration(np.array([10.0, 20.0, 30.0]), np.array([0.0, 0.5, 0.1]), 1).tolist()
    [[10.0, 20.0, 30.0], [10.0, 10.0, 37.0]]
    """
    base = np.asarray(base, dtype=float)
    qx = np.broadcast_to(np.asarray(qx, dtype=float), (steps + 1, base.size))
    out = np.empty((steps + 1, base.size))
    out[0] = base
    for t in range(1, steps + 1):
        survivors = out[t - 1] * (1.0 - qx[t])
        out[t, 0] = base[0]
        out[t, 1:] = survivors[:-1]
        out[t, -1] += survivors[-1]
    return out


def naive_cohort_ratio(base: int, obs: pd.DataFrame, population: np.ndarray) -> pd.Series:
    """The cohort-ratio forecast of every observation after ``base``, indexed by (year, variable).

    population: (T, A) persons by age at the count point of the years base, base + 1, ... (row 0
    the base year; ``age_without_migration``). For ``Enrolment|<level>``: the base-year enrolment
    / the base-year population of the level's official ages × the population of those ages in
    the year. For a rate (GER, NER, consolidation, mean years, shares): the base-year value held.
    ``Population|Total``: the aged total; ``Population|Total|Year-end``: the aged totals carried
    two months towards the next year, P(t) + 2/12 (P(t+1) − P(t)). Anything else, or no base-year
    value, or a year past the population given: NaN (skipped).

    >>> pop = age_without_migration(np.array([6.0, 6, 6, 10, 10, 10, 0]), np.zeros(7), 2)
    >>> pop[1].tolist()                                   # aged 3-5: 30 in the base year, 26 a year on
    [6.0, 6.0, 6.0, 6.0, 10.0, 10.0, 10.0]
    >>> obs = pd.DataFrame({"year": [2015, 2016, 2016], "variable": ["Enrolment|Preschool",
    ...     "Enrolment|Preschool", "Population|Total|Year-end"], "value": [15.0, 0.0, 0.0]})
    >>> naive_cohort_ratio(2015, obs, pop).round(6).tolist()   # 15 / 30 × 26; 54 + 2/12 × (60 − 54)
    [13.0, 55.0]
    """
    known = base_values(base, obs)
    ages = level_ages()
    population = np.asarray(population, dtype=float)
    total = population.sum(axis=1)
    later = obs[obs["year"] > base]
    out = []
    for year, v in zip(later["year"].astype(int), later["variable"], strict=True):
        t = year - base
        value = np.nan
        if v.startswith(RATE_PREFIXES):
            value = known.get(v, np.nan)
        elif v in ages and v in known and t < len(population):
            lo, hi = ages[v]
            before = population[0, lo : hi + 1].sum()
            if before > 0:
                value = known[v] / before * population[t, lo : hi + 1].sum()
        elif v == "Population|Total" and t < len(population):
            value = total[t]
        elif v == "Population|Total|Year-end" and t + 1 < len(population):
            value = total[t] + TO_YEAR_END * (total[t + 1] - total[t])
        out.append(value)
    return pd.Series(
        out,
        index=_index(later),
        dtype=float,
    )


def naive_population(scenario, tables: dict, until: int) -> np.ndarray:
    """The scenario's base-year population (``population.base``) aged to ``until`` with its own
    mortality (``population.mortality`` × ``population.mortality_scale``, the scale's central
    value), no migration, births held: (until − base + 1, A)."""
    p = scenario.population
    base = tables[p.base]["persons"].to_numpy(dtype=float)
    years = np.arange(int(p.base_year), max(int(until), int(p.base_year)) + 1)
    scale = p.mortality_scale
    scale = (
        np.asarray(scale.evaluate(years), dtype=float)
        if hasattr(scale, "evaluate")
        else np.full(len(years), float(scale))
    )
    qx = np.minimum(tables[p.mortality]["qx"].to_numpy(dtype=float)[None, :] * scale[:, None], 1.0)
    return age_without_migration(base, qx, len(years) - 1)


def naive_forecasts(base: int, obs: pd.DataFrame, scenario, tables: dict) -> dict[str, pd.Series]:
    """Both naive methods' forecasts of every observation after ``base`` (method → Series)."""
    last = int(obs["year"].max()) + 1  # one year past the last observation, for year-end counts
    population = naive_population(scenario, tables, last)
    return {
        "no-change": naive_no_change(base, obs),
        "cohort-ratio": naive_cohort_ratio(base, obs, population),
    }


# ------------------------------------------------------------------ scoring
def _ape(forecast: float, observed: float) -> float:
    return abs(forecast - observed) / abs(observed) if forecast == forecast else np.nan


def compare(
    base: int,
    results: dict[str, np.ndarray],
    years: np.ndarray,
    obs: pd.DataFrame,
    naive: dict[str, pd.Series] | None = None,
    intervals: bool | None = None,
) -> pd.DataFrame:
    """Rows for every observation after ``base`` and within ``years``; results are {variable: (D, T)}.
    An observation used to calibrate the run that starts in ``base`` (``calibrates == base``) is
    never scored for it. ``naive``: method → forecasts indexed by (year, variable) (e.g.
    ``naive_forecasts``); each adds its forecast and its APE (``ape <method>``) to every row.
    With intervals (default: when there is more than one draw; pass False for a run whose
    scenario varies nothing, whose draws are all alike): the quantiles, whether the observation
    is inside the 50 % / 90 % interval, and each interval's width as a share of the observed
    value ((q75 − q25) / |obs|, (q95 − q05) / |obs|); without, these are empty."""
    rows = []
    naive = naive or {}
    if "calibrates" in obs.columns:
        obs = obs[pd.to_numeric(obs["calibrates"], errors="coerce") != base]
    for _, o in obs[(obs["year"] > base) & (obs["year"] <= years[-1])].iterrows():
        if o["variable"] not in results:
            continue
        x = np.asarray(results[o["variable"]])[:, int(np.searchsorted(years, o["year"]))]
        value = float(o["value"])
        med = float(np.median(x))
        q = np.quantile(x, [0.05, 0.25, 0.75, 0.95])
        many = x.size > 1 if intervals is None else bool(intervals) and x.size > 1
        row = {
            "base": base,
            "year": int(o["year"]),
            "lead": int(o["year"]) - base,
            "variable": o["variable"],
            "observed": value,
            "model": med,
            "error": med - value,
            "ape": _ape(med, value),
        }
        for method, forecasts in naive.items():
            f = float(forecasts.get((int(o["year"]), o["variable"]), np.nan))
            row[method] = f
            row[f"ape {method}"] = _ape(f, value)
        row |= {
            "in50": bool(q[1] <= value <= q[2]) if many else None,
            "in90": bool(q[0] <= value <= q[3]) if many else None,
            "width 50 %": (q[2] - q[1]) / abs(value) if many else np.nan,
            "width 90 %": (q[3] - q[0]) / abs(value) if many else np.nan,
            "q05": q[0] if many else np.nan,
            "q25": q[1] if many else np.nan,
            "q75": q[2] if many else np.nan,
            "q95": q[3] if many else np.nan,
            "source": o["source"],
        }
        rows.append(row)
    return pd.DataFrame(rows)


def methods(table: pd.DataFrame) -> list[str]:
    """The naive methods a comparison table carries (columns ``ape <method>``)."""
    return [c.removeprefix("ape ") for c in table.columns if c.startswith("ape ")]


def skill(ape_model: pd.Series, ape_naive: pd.Series) -> float:
    """1 − MAPE_model / MAPE_naive over the observations both forecast (NaN if none, or if the
    naive method made no error there).

    >>> round(skill(pd.Series([0.1, 0.2, 0.3]), pd.Series([0.2, 0.2, np.nan])), 6)   # 1 − 0.15 / 0.2
    0.25
    """
    both = ape_model.notna() & ape_naive.notna()
    naive_mape = ape_naive[both].mean()
    if not both.any() or naive_mape == 0:
        return np.nan
    return float(1.0 - ape_model[both].mean() / naive_mape)


def _scores(part: pd.DataFrame, naive: list[str], draws: bool) -> dict:
    out = {"n": int(part["ape"].notna().sum()), "MAPE": part["ape"].mean()}
    for m in naive:
        out[f"n {m}"] = int(part[f"ape {m}"].notna().sum())
        out[f"MAPE {m}"] = part[f"ape {m}"].mean()
        out[f"skill vs {m}"] = skill(part["ape"], part[f"ape {m}"])
    if draws:
        out["n intervals"] = int(part["in50"].notna().sum())
        out["inside 50 %"] = part["in50"].astype(float).mean()
        out["inside 90 %"] = part["in90"].astype(float).mean()
        out["width 50 %"] = part["width 50 %"].mean()
        out["width 90 %"] = part["width 90 %"].mean()
    return out


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """By lead time (and a last row over all leads, ``lead`` empty): n, the model's MAPE, each naive
    method's n, MAPE and the model's skill against it; with intervals, over the ``n intervals``
    observations that have them, the share inside the 50 % and 90 % intervals and the intervals'
    mean width as a share of the observed value."""
    naive = methods(table)
    draws = "in50" in table.columns and table["in50"].notna().any()
    rows = [{"lead": lead, **_scores(part, naive, draws)} for lead, part in table.groupby("lead")]
    rows.append({"lead": np.nan, **_scores(table, naive, draws)})
    out = pd.DataFrame(rows)
    out["lead"] = pd.Series([None if pd.isna(v) else int(v) for v in out["lead"]], dtype=object)
    return out


def summary_display(summ: pd.DataFrame) -> pd.DataFrame:
    """The summary as text for the terminal and the page: MAPE, coverage and width as percentages
    with one decimal, skill with a sign and two decimals, the last row's lead ``all``."""

    def pct(v) -> str:
        return "" if pd.isna(v) else f"{v:.1%}"

    def signed(v) -> str:
        return "–" if pd.isna(v) else f"{v:+.2f}"

    out = pd.DataFrame({"lead": ["all" if pd.isna(v) else str(int(v)) for v in summ["lead"]]})
    out["n"] = summ["n"].astype(int).astype(str).to_numpy()
    out["MAPE model"] = summ["MAPE"].map(pct).to_numpy()
    naive = [c.removeprefix("MAPE ") for c in summ.columns if c.startswith("MAPE ")]
    for m in naive:
        out[f"MAPE {m}"] = [
            (pct(v) or "–") + ("" if n == k else f" (n {k})")
            for v, n, k in zip(summ[f"MAPE {m}"], summ["n"], summ[f"n {m}"], strict=True)
        ]
    for m in naive:
        out[f"skill vs {m}"] = summ[f"skill vs {m}"].map(signed).to_numpy()
    if "n intervals" in summ.columns:
        for c in ("inside 50 %", "inside 90 %", "width 50 %", "width 90 %"):
            out[c] = [
                (pct(v) or "–") + ("" if n == k else f" (n {k})")
                for v, n, k in zip(summ[c], summ["n"], summ["n intervals"], strict=True)
            ]
    return out


def run_backtest(runs: dict[int, str], draws: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the scenario of each base year (``{base year: scenario}``), score the model and the naive
    methods on the same observations: (a row per observation, the summary by lead time)."""
    from ..run.simulate import prepare, run
    from ..run.write import check_memory

    obs = observed()
    rows = []
    for b, name in runs.items():
        prep = prepare(name, draws)
        check_memory(prep.scenario.draws, len(prep.scenario.years))
        res = run(prep)
        naive = naive_forecasts(b, obs, prep.scenario, prep.tables)
        # a scenario that varies nothing has draws all alike: no interval to score
        intervals = bool(prep.scenario.uncertainty) and prep.scenario.draws > 1
        rows.append(compare(b, res.results, res.years, obs, naive, intervals))
    table = pd.concat(rows, ignore_index=True)
    return table, summary(table)
