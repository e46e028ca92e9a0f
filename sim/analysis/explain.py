"""Why a number moved: the change in a result split into parts that add up exactly.

Two methods, chosen by the variable:

* **Teacher gaps** (``Teachers|Gap…``) by stock-flow accounting. Supply moves by
  hires + 特岗 hires − retirements − attrition − 特岗 not kept, year by year (both engines
  satisfy this identity), so a gap's change between two years is::

      Δgap = −Δdemand + regular hires + 特岗 hires − retirements − attrition − 特岗 not retained

  Between two scenarios in one year the same parts, summed from the base year, are differenced.

* **Everything else** by Shapley values over groups of inputs: births, migration, flow rates
  (for students and schooling), or enrolment, pay, per-student spending, projects (for money).
  Between two years: v(S) is the variable in the later year when the groups in S follow the
  scenario and the others are frozen at their first-year values (series held flat, no project
  started later); "momentum" is v(∅) minus the first-year value — what ageing the people already
  here and the inputs outside the groups do. Between scenarios A and B in one year: v(S) takes the
  groups in S from B and the rest from A; "other differences" is B minus v(all). Each group's part
  is its marginal contribution averaged over every order of the groups, so the parts sum to the
  change exactly (up to float rounding).

>>> shapley(["a", "b"], lambda s: 10 * ("a" in s) + 5 * ("b" in s) + 2 * ("a" in s and "b" in s))
{'a': 11.0, 'b': 6.0}
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from pydantic import BaseModel

from ..core.levels import LABEL, MONEY_LEVELS, TEACHER_LEVELS
from ..core.series import Series

GROUPS_STUDENTS = {
    "births": ["population.births"],
    "migration": ["population.net_migration"],
    "flow rates": ["students"],
}
GROUPS_MONEY = {
    "enrolment": ["population", "students"],
    "pay": ["finance.pay", "finance.civil_servant_pay", "finance.tegang"],
    "per-student spending": ["finance.per_student", "finance.non_personnel_real_growth"],
    "projects": ["finance.projects"],
}
PART_LABELS = {
    "zh": {
        "births": "出生",
        "migration": "迁移",
        "flow rates": "升学/辍学等流动率",
        "momentum": "人口结构惯性及其他",
        "enrolment": "在校生",
        "pay": "工资、补贴、特岗与培训",
        "teachers in post": "在岗教师人数",
        "pay per teacher": "教师平均工资",
        "non-personnel per student": "生均非人员经费",
        "programmes": "补贴、培训、交流（扣除特岗中央补助）",
        "tegang hires and retention": "特岗招聘与留任",
        "per-student spending": "生均经费",
        "projects": "项目",
        "other differences": "其他差异",
        "demand": "需求变化",
        "retirements": "退休",
        "attrition": "流失",
        "tegang hires": "特岗招聘",
        "tegang not retained": "特岗期满未留任",
        "regular hires": "常规招聘（含公费师范生）",
        "early retirements": "提前退休",
        "redeployed": "交流轮岗与转岗（净调入）",
    },
}


def shapley(groups: list[str], value: Callable[[frozenset], float]) -> dict[str, float]:
    """Shapley value of each group for a set function ``value`` (called once per subset)."""
    n = len(groups)
    cache = {
        frozenset(s): value(frozenset(s)) for r in range(n + 1) for s in itertools.combinations(groups, r)
    }
    out = {}
    for g in groups:
        total = 0.0
        others = [h for h in groups if h != g]
        for r in range(n):
            w = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
            for s in itertools.combinations(others, r):
                s = frozenset(s)
                total += w * (cache[s | {g}] - cache[s])
        out[g] = total
    return out


# ------------------------------------------------------------------ scenario surgery
def get_path(model, path: str):
    node = model
    for part in path.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node


def set_path(model, path: str, value):
    head, _, rest = path.partition(".")
    if not rest:
        return model.model_copy(update={head: value})
    return model.model_copy(update={head: set_path(getattr(model, head), rest, value)})


def freeze(node, years: np.ndarray, year: int):
    """A copy with every series held flat at its value in ``year`` (projects: none started later)."""
    t = int(np.searchsorted(years, year))
    if isinstance(node, Series):
        return Series.constant(float(node.evaluate(years)[t]))
    if isinstance(node, list):
        kept = [x for x in node if not (hasattr(x, "start") and hasattr(x, "cost") and x.start > year)]
        return [freeze(x, years, year) for x in kept]
    if isinstance(node, dict):
        return {k: freeze(v, years, year) for k, v in node.items()}
    if isinstance(node, BaseModel):
        return node.model_copy(
            update={k: freeze(getattr(node, k), years, year) for k in type(node).model_fields}
        )
    return node


def _present(scenario, path: str) -> bool:
    try:
        return get_path(scenario, path) is not None
    except (AttributeError, KeyError):
        return False


# --------------------------------------------------------------------- methods
def groups_for(variable: str) -> dict[str, list[str]]:
    if variable.startswith(("Spending|", "Budget|", "Pay|", "Rule|", "Price index")):
        return GROUPS_MONEY
    return GROUPS_STUDENTS


def between_years(scenario, tables, variable: str, y1: int, y2: int, run) -> pd.DataFrame:
    """Parts of variable(y2) − variable(y1) in one scenario. ``run(scenario) -> {variable: (1, T)}``."""
    years = scenario.years
    i1, i2 = int(np.searchsorted(years, y1)), int(np.searchsorted(years, y2))
    if variable.startswith("Teachers|Gap"):
        res = run(scenario)
        return _gap_parts(res, variable, lambda arr: arr[0, i1 : i2 + 1], years[i1 : i2 + 1])
    if variable == "Spending|Total":
        res = run(scenario)
        return _money_parts({k: v[0, i1] for k, v in res.items()}, {k: v[0, i2] for k, v in res.items()})
    groups = {g: [p for p in paths if _present(scenario, p)] for g, paths in groups_for(variable).items()}
    groups = {g: p for g, p in groups.items() if p}
    actual = run(scenario)[variable][0]

    def value(s: frozenset) -> float:
        x = scenario
        for g, paths in groups.items():
            if g not in s:
                for p in paths:
                    x = set_path(x, p, freeze(get_path(x, p), years, y1))
        return float(run(x)[variable][0, i2])

    parts = shapley(list(groups), value)
    momentum = value(frozenset()) - actual[i1]
    return _table({"momentum": momentum, **parts}, actual[i2] - actual[i1], "Shapley over input groups")


def between_scenarios(a, b, tables, variable: str, year: int, run) -> pd.DataFrame:
    """Parts of variable(B) − variable(A) in ``year``."""
    t = int(np.searchsorted(a.years, year))
    if variable.startswith("Teachers|Gap"):
        ra, rb = run(a), run(b)
        pa = _gap_parts(ra, variable, lambda arr: arr[0, : t + 1], a.years[: t + 1])
        pb = _gap_parts(rb, variable, lambda arr: arr[0, : t + 1], b.years[: t + 1])
        diff = pb.set_index("part")["value"] - pa.set_index("part")["value"]
        total = float(rb[variable][0, t] - ra[variable][0, t])
        return _table(diff.to_dict(), total, "stock-flow accounting, differenced between scenarios")
    if variable == "Spending|Total":
        ra, rb = run(a), run(b)
        return _money_parts({k: v[0, t] for k, v in ra.items()}, {k: v[0, t] for k, v in rb.items()})
    groups = {
        g: [p for p in paths if _present(a, p) and _present(b, p)]
        for g, paths in groups_for(variable).items()
    }
    groups = {g: p for g, p in groups.items() if p}

    def value(s: frozenset) -> float:
        x = a
        for g in s:
            for p in groups[g]:
                x = set_path(x, p, get_path(b, p))
        return float(run(x)[variable][0, t])

    parts = shapley(list(groups), value)
    vb = float(run(b)[variable][0, t])
    va = float(run(a)[variable][0, t])
    parts["other differences"] = vb - value(frozenset(groups))
    return _table(parts, vb - va, "Shapley over input groups")


def _gap_parts(res: dict, variable: str, window, years) -> pd.DataFrame:
    """Stock-flow parts of a gap's change over the years of ``window`` (first to last)."""
    level = variable.split("|")[2] if variable.count("|") >= 2 else None
    levels = [level] if level else [LABEL[lv] for lv in TEACHER_LEVELS]
    area = variable.split("|")[3] if variable.count("|") >= 3 else None
    if area is not None:
        raise ValueError(
            f"'{variable}': flows are counted by level, not by area; explain Teachers|Gap|{level} "
            f"or compare scenarios"
        )
    s = lambda name: sum(window(res[f"Teachers|{name}|{lv}"]) for lv in levels)  # noqa: E731
    demand, supply = s("Demand"), s("Supply")
    ret, att = s("Retirements"), s("Attrition")
    hires = s("Hires|Regular")
    parts = {
        "demand": -(demand[-1] - demand[0]),
        "retirements": -ret[:-1].sum(),
        "attrition": -att[:-1].sum(),
        "regular hires": hires[1:].sum(),
    }
    # the September round's flows of year t+1 (teacher docs: the stock-flow identity)
    if f"Teachers|Early retirements|{levels[0]}" in res:
        parts["early retirements"] = -s("Early retirements")[1:].sum()
    if f"Teachers|Redeployed|In|{levels[0]}" in res and level is not None:
        parts["redeployed"] = (s("Redeployed|In") - s("Redeployed|Out"))[1:].sum()  # 0 for all levels
    if level is None:
        parts["tegang hires"] = window(res["Teachers|Tegang|Hires"])[1:].sum()
        parts["tegang not retained"] = -window(res["Teachers|Tegang|Left"])[:-1].sum()
    elif level in ("Primary", "Junior"):
        # 特岗 who leave are counted for primary and junior together; this level's 特岗 part is what
        # the other flows leave of its supply change
        parts["tegang hires and retention"] = (supply[-1] - supply[0]) - sum(parts.values()) + parts["demand"]
    total = float(window(res[variable])[-1] - window(res[variable])[0])
    method = "stock-flow accounting"
    if level in ("Primary", "Junior"):
        method += " (特岗 part = what the other flows leave of the change: the parts add up by construction)"
    return _table(parts, total, method)


def _money_parts(r1: dict, r2: dict) -> pd.DataFrame:
    """Total spending from state 1 to state 2, by the stage's own identity
    total = Σ levels (teachers × pay + non-personnel per pupil × pupils) + programmes + projects.
    Each level's two products are split between their factors by the midpoint (two-factor
    Shapley) rule: teachers in post and pay; enrolment and non-personnel spending per pupil. Without
    teacher numbers in the results the pay bill's change is one part, "pay per teacher"."""
    parts = {
        "teachers in post": 0.0,
        "pay per teacher": 0.0,
        "enrolment": 0.0,
        "non-personnel per student": 0.0,
    }
    for lv in (LABEL[m] for m in MONEY_LEVELS):
        b1, b2 = r1[f"Spending|Pay bill|{lv}"], r2[f"Spending|Pay bill|{lv}"]
        s1, s2 = r1.get(f"Teachers|Supply|{lv}"), r2.get(f"Teachers|Supply|{lv}")
        if s1 is not None and s2 is not None and s1 > 0 and s2 > 0:
            w1, w2 = b1 / s1, b2 / s2
            parts["teachers in post"] += 0.5 * (w1 + w2) * (s2 - s1)
            parts["pay per teacher"] += 0.5 * (s1 + s2) * (w2 - w1)
        else:
            parts["pay per teacher"] += b2 - b1
        n1, n2 = r1[f"Spending|Non-personnel|{lv}"], r2[f"Spending|Non-personnel|{lv}"]
        e1, e2 = r1[f"Enrolment|{lv}"], r2[f"Enrolment|{lv}"]
        p1, p2 = (n1 / e1 if e1 else 0.0), (n2 / e2 if e2 else 0.0)
        if e1 and e2:
            parts["enrolment"] += 0.5 * (p1 + p2) * (e2 - e1)
            parts["non-personnel per student"] += 0.5 * (e1 + e2) * (p2 - p1)
        else:  # a level that opens or closes: its whole change is enrolment
            parts["enrolment"] += n2 - n1
    parts["programmes"] = r2["Spending|Programmes"] - r1["Spending|Programmes"]
    parts["projects"] = r2["Spending|Projects"] - r1["Spending|Projects"]
    total = float(r2["Spending|Total"] - r1["Spending|Total"])
    return _table(
        parts,
        total,
        "accounting: teachers × pay and pupils × non-personnel per pupil by level (midpoint split), "
        "programmes (subsidy, training, redeployment, less the central 特岗 subsidy), projects",
    )


def _table(parts: dict, total: float, method: str) -> pd.DataFrame:
    df = pd.DataFrame({"part": list(parts), "value": [float(v) for v in parts.values()]})
    df.attrs["total"] = total
    df.attrs["method"] = method
    df.attrs["residual"] = total - df["value"].sum()
    return df


REPORT_VARIABLES = ("Teachers|Gap", "Enrolment|Primary", "Spending|Total")


def for_report(scenario, tables, run, y2: int = 2025) -> list[tuple[str, pd.DataFrame, float, float]]:
    """The decompositions the report draws as waterfalls: (variable, parts, start value, end value)."""
    years = scenario.years
    y1, y2 = int(years[0]), min(y2 if y2 > years[0] else int(years[-1]), int(years[-1]))
    out = []
    res = run(scenario)
    for v in REPORT_VARIABLES:
        if v in res:
            df = between_years(scenario, tables, v, y1, y2, run)
            out.append((f"{v}: {y1} → {y2}", df, float(res[v][0, 0]), float(res[v][0, y2 - y1])))
    return out
