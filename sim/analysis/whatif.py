"""A what-if grid for the static page: every combination of a few lever values, run once each.

The page (``sim/report/whatif.py``) carries this grid and redraws its charts and scorecard as its
sliders move, offline: a slider picks the nearest computed point, nothing is interpolated. Each
point is the scenario with the levers' leaves set the sweep's way (``sweep.run_point``: the same
``set_leaf``, the same values and units as ``edusim sweep``), run deterministically (one draw) on
the city as one (``regions: null``: the key results are the city's, and a run takes about half
the time of nine divisions).

The grid is compact: for each kept variable one flat list in C order over the lever axes and
the years (shape ``[*shape, T]``), numbers rounded to 4 significant digits; for each target its
value (same rounding) and status (an index into ``statuses``) in the same order (``[*shape, K]``).

Measured on the baseline as one city (16 years, the 9 default series, 14 targets; levers 特岗
hires, vocational share, budget growth, enrolment rate at 3), on a shared 2-core machine: build
time of ``whatif_grid`` (the runs dominate: ~10-20 ms a run, set_leaf's re-validation included),
bytes of its compact JSON and of the whole section ``whatif_html`` gives (the JSON embedded once):

=========================  =====  ============  ==========  ============  =============
grid                       runs   build (s)     JSON bytes  section       bytes per run
=========================  =====  ============  ==========  ============  =============
5 × 5                         25  0.28              35.7 kB      45.9 kB  1.4-1.8 kB
5 × 5 × 5                    125  1.2-1.5            150 kB       160 kB  1.2-1.3 kB
5 × 5 × 5 × 5                625  7.9-8.5            720 kB       730 kB  1.17 kB
9 × 9 × 9 (= the cap)        729  8.7-14.3           838 kB       848 kB  1.16 kB
=========================  =====  ============  ==========  ============  =============

So the cap is ``MAX_RUNS = 729`` runs: at ~1.16 kB a run the grid stays under ~0.85 MB of page
data (the page already carries plotly.js, 4.8 MB) and builds in well under half a minute; in
headless Chromium the 625-run page opens and a slider's redraw (four charts, the scorecard) takes
~60 ms. A page of 1 MB of grid would be ~860 runs. 5 × 5 × 5 × 5 (625) and 9 × 9 × 9 fit;
6 × 6 × 6 × 6 (1,296) is refused with a message that says to lower ``points`` or drop a lever.
The bytes follow the numbers carried (~7.3 bytes a number), so a grid that keeps more series
than the default nine is held to the same weight by ``MAX_VALUES`` (numbers carried: runs ×
(series × years + targets)).
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np

from ..core.catalogue import label, unit
from ..run.simulate import simulate
from ..schema.paths import resolve
from .sweep import LeverError, parse_lever, run_point
from .targets import evaluate

MAX_LEVERS = 4
MAX_RUNS = 729  # ~1.16 kB of page data and 10-20 ms of build a run: < 0.85 MB, < 15 s (docstring)
MAX_VALUES = 120_000  # numbers carried; the cap grid with the default series carries 115,182
MAX_POINTS = 11  # per lever; a slider with more stops than this is not read point by point
DIGITS = 4  # significant digits kept (what the page shows)

DEFAULT_VARIABLES = (
    "Enrolment|Preschool",
    "GER|Preschool",
    "Enrolment|Secondary vocational",
    "GER|Upper secondary",
    "Teachers|Gap",
    "Teachers|Supply",
    "Teachers|Demand",
    "Spending|Total",
    "Budget|Envelope",
)

STATUSES = ("met", "missed", "by assumption")

# names, units and display of the levers scenarios commonly name; any other lever shows its
# ``label:`` (or its path) and its value as written
LEVER_TEXT = {
    "teachers.tegang.hires": (
        "特岗教师招聘",
        "Special-post (tegang) teachers hired",
        "人/年",
        "a year",
        False,
    ),
    "teachers.hiring.max_hires": ("每年招聘上限", "Hires a year, at most", "人/年", "a year", False),
    "teachers.hiring.public_funded": ("公费师范生", "Publicly funded graduates", "人/年", "a year", False),
    "students.transitions.vocational_share": ("中职占比", "Vocational share", "", "", True),
    "students.transitions.junior_to_upper_secondary": (
        "初中升高中阶段比例",
        "Junior to upper secondary",
        "",
        "",
        True,
    ),
    "students.preschool.enrolment_rate.3": ("3岁入园率", "Enrolment rate at 3", "", "", True),
    "students.preschool.enrolment_rate.4": ("4岁入园率", "Enrolment rate at 4", "", "", True),
    "students.preschool.enrolment_rate.5": ("5岁入园率", "Enrolment rate at 5", "", "", True),
    "finance.envelope_growth": ("预算年增长率", "Budget growth a year", "", "", True),
    "finance.envelope_base_ratio": ("基年预算比", "Base-year budget ratio", "", "", False),
    "finance.non_personnel_real_growth": (
        "公用经费实际增长",
        "Non-personnel real growth",
        "",
        "",
        True,
    ),
}


def round_sig(values, digits: int = DIGITS) -> list:
    """Numbers rounded to ``digits`` significant digits, whole numbers as ints (shorter JSON);
    a value that is not finite becomes None (JSON null).

    >>> round_sig([123456.7, 0.0123456, -2.0, 0.0, float("nan")])
    [123500, 0.01235, -2, 0, None]
    """
    out = []
    for v in np.asarray(values, dtype=float).ravel().tolist():
        if not math.isfinite(v):
            out.append(None)
            continue
        r = float(f"{v:.{digits}g}")
        out.append(int(r) if r.is_integer() and abs(r) < 2**53 else r)
    return out


def _lever_values(lo: float, hi: float, points: int) -> list[float]:
    # 12 significant digits: 0.30000000000000004 is 0.3, and the value run is the value stored
    return [float(f"{v:.12g}") for v in np.linspace(lo, hi, points)]


def _constant(leaf) -> float | None:
    """The number a leaf holds when it is one (a constant series counts), else None."""
    value, kind = leaf
    if kind == "number":
        return float(value)
    if len(value.points) == 1 and not value.growth:
        return float(value.points[0][1])
    return None


def _lever_text(path: str, lever) -> dict:
    known = LEVER_TEXT.get(path)
    if known:
        zh, en, unit_zh, unit_en, percent = known
    else:
        text = lever.label if lever is not None and lever.label else path
        zh, en = (text.zh, text.en) if hasattr(text, "zh") else (text, text)  # a str, or {zh, en}
        unit_zh = unit_en = ""
        percent = False
    return {"label": {"zh": zh, "en": en}, "unit": {"zh": unit_zh, "en": unit_en}, "percent": percent}


def choose_levers(scenario, levers: list[str] | None, points: int) -> list[tuple[str, list[float]]]:
    """The levers and their values: the scenario's first two to four (``levers:``), or those named
    (a path in ``levers:``, or ``PATH=LO:HI`` with a range, or ``PATH=LO:HI:STEP`` with its grid)."""
    declared = scenario.levers
    if levers is None:
        if not declared:
            raise ValueError(
                f"scenario '{scenario.name}' names no levers: add a `levers:` block (e.g. "
                "teachers.tegang.hires: {min: 0, max: 400}) or name them, as PATH=LO:HI "
                "(e.g. teachers.tegang.hires=0:400)"
            )
        levers = list(declared)[:MAX_LEVERS]
    if not levers:
        raise ValueError("the what-if grid needs at least one lever")
    if len(levers) > MAX_LEVERS:
        raise ValueError(
            f"the what-if grid takes at most {MAX_LEVERS} levers, got {len(levers)} "
            f"({', '.join(levers)}): keep the {MAX_LEVERS} that matter most"
        )
    if not isinstance(points, int) or not 2 <= points <= MAX_POINTS:
        raise ValueError(f"points must be a whole number from 2 to {MAX_POINTS} per lever, got {points!r}")
    out = []
    for text in levers:
        try:
            path, values = parse_lever(text, declared, max_points=MAX_POINTS)
            resolve(scenario, path)
        except (LeverError, ValueError) as e:
            raise ValueError(str(e)) from None
        if len(values) == 2:  # a range: `points` values from its ends
            values = _lever_values(values[0], values[1], points)
        if any(p == path for p, _ in out):
            raise ValueError(f"lever '{path}' is named twice")
        out.append((path, values))
    runs = math.prod(len(v) for _, v in out)
    if runs > MAX_RUNS:
        shape = " × ".join(str(len(v)) for _, v in out)
        raise ValueError(
            f"the what-if grid {shape} is {runs:,} runs; at most {MAX_RUNS:,} (the page would carry "
            f"about {runs * 1.16 / 1000:.1f} MB of grid data): lower points (now {points}) or drop a lever"
        )
    return out


def whatif_grid(
    prep, levers: list[str] | None = None, points: int = 5, variables: list[str] | None = None
) -> dict:
    """Run the grid of lever values on the city as one and keep the key series and every target's
    value and status: a JSON-able dict (``sim/report/whatif.py: whatif_html`` draws it).

    Raises ValueError (saying what to change) for more than ``MAX_LEVERS`` levers, ``MAX_RUNS``
    runs or ``MAX_VALUES`` numbers carried, a scenario that names no levers when none are given,
    or a bad lever."""
    t0 = time.perf_counter()
    base = prep.scenario
    s = base.model_copy(update={"regions": None, "draws": 1})
    chosen = choose_levers(s, levers, points)
    years = np.asarray(s.years)

    reference = simulate(s, prep.tables).results
    wanted = list(variables) if variables is not None else list(DEFAULT_VARIABLES)
    kept = [v for v in wanted if v in reference]
    if not kept:
        raise ValueError(f"none of the variables {wanted} is computed by scenario '{s.name}'")
    # targets the city run can evaluate (a division's target needs the divisions)
    targets = [t for t in s.targets if t.indicator in reference]
    runs = math.prod(len(v) for _, v in chosen)
    carried = runs * (len(kept) * len(years) + len(targets))
    if carried > MAX_VALUES:
        raise ValueError(
            f"the what-if grid would carry {carried:,} numbers ({runs:,} runs × {len(kept)} series × "
            f"{len(years)} years + targets); at most {MAX_VALUES:,} (about 0.9 MB of page): keep fewer "
            "variables, lower points or drop a lever"
        )
    s = s.model_copy(update={"targets": targets})
    ref_table = evaluate(targets, reference, years) if targets else None

    shape = [len(v) for _, v in chosen]
    paths = [p for p, _ in chosen]
    series = {v: [] for v in kept}
    t_values, t_status = [], []
    for combo in itertools.product(*[v for _, v in chosen]):
        results, table = run_point(s, prep.tables, dict(zip(paths, combo, strict=True)))
        for v in kept:
            series[v].append(np.asarray(results[v], dtype=float)[0])
        if targets:
            t_values.append(table["value"].to_numpy(dtype=float))
            t_status.append([STATUSES.index(x) for x in table["status"]])

    lever_rows = []
    for path, values in chosen:
        default = _constant(resolve(base, path))
        index = (
            int(np.argmin(np.abs(np.asarray(values) - default))) if default is not None else len(values) // 2
        )
        lever_rows.append(
            {
                "path": path,
                "values": values,
                "default": index,
                "scenario_value": default,
                **_lever_text(path, base.levers.get(path)),
            }
        )
    target_rows = []
    for i, t in enumerate(targets):
        text = t.label.model_dump() if t.label is not None else {}
        target_rows.append(
            {
                "id": t.id,
                "indicator": t.indicator,
                "label": {
                    "zh": text.get("zh") or label(t.indicator, "zh"),
                    "en": text.get("en") or label(t.indicator, "en"),
                },
                "unit": unit(t.indicator),
                "year": str(t.year),
                "comparison": t.comparison,
                "target": t.value,
                "reference_value": round_sig([ref_table["value"].iloc[i]])[0],
                "reference_status": STATUSES.index(ref_table["status"].iloc[i]),
            }
        )
    title = getattr(base, "title", None)
    return {
        "version": 1,
        "scenario": base.name,
        "title": title.model_dump() if hasattr(title, "model_dump") else {"zh": base.name, "en": base.name},
        "city": True,
        "runs": math.prod(shape),
        "shape": shape,
        "years": [int(y) for y in years],
        "levers": lever_rows,
        "variables": [
            {"name": v, "label": {"zh": label(v, "zh"), "en": label(v, "en")}, "unit": unit(v)} for v in kept
        ],
        "series": {v: round_sig(np.stack(series[v])) for v in kept},
        "reference": {v: round_sig(np.asarray(reference[v], dtype=float)[0]) for v in kept},
        "targets": target_rows,
        "target_values": round_sig(np.stack(t_values)) if targets else [],
        "target_status": np.asarray(t_status, dtype=int).ravel().tolist() if targets else [],
        "statuses": list(STATUSES),
        "seconds": round(time.perf_counter() - t0, 2),
    }
