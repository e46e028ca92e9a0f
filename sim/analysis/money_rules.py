"""Breaches of the plan's three money rules (十二(三)), listed year by year with their amounts.

The rules are checked on the committed path: ``Spending|Total`` and ``Spending|<level>`` / students
as the money stage spends them (never on ``Spending|Comparison|Per-student path``). In the baseline
"teacher pay at least civil servants" holds by assumption (pay is set to civil servants' pay).

>>> y = np.arange(2020, 2023)
>>> r = {"Spending|Total": np.array([[10., 9., 9.]]), "Rule|Spending does not fall": np.array([[1., 0., 1.]])}
>>> breaches(r, y)
[Breach(rule='Spending does not fall', year=2021, level=None, amount=1.0, draw=0)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.levels import LABEL
from ..core.levels import MONEY_LEVELS as LEVELS
from ..stages.finance import RULE_PAY, RULE_PER_STUDENT, RULE_TOTAL


# ------------------------------------------------------------------ rule breaches
@dataclass(frozen=True)
class Breach:
    """One breach of a money rule: ``amount`` is yuan (the fall in committed total or per-student
    spending on the year before, or the pay shortfall per teacher); ``level`` is None for
    whole-budget rules."""

    rule: str
    year: int
    level: str | None
    amount: float
    draw: int


def breaches(results: dict[str, np.ndarray], years: np.ndarray, draw: int | None = None) -> list[Breach]:
    """Every breach of the three money rules, sorted by draw, year, rule; ``draw`` picks one draw
    (row index of the arrays), None gives all draws.

    """
    years = np.asarray(years)
    rows = [draw] if draw is not None else None
    found: list[Breach] = []

    def scan(rule: str, level: str | None, flag: np.ndarray, amount: np.ndarray) -> None:
        f = flag if rows is None else flag[rows]
        a = amount if rows is None else amount[rows]
        for i, t in zip(*np.nonzero(f < 0.5), strict=True):
            found.append(
                Breach(rule, int(years[t]), level, float(a[i, t]), int(rows[0] if rows is not None else i))
            )

    def fall(x: np.ndarray) -> np.ndarray:
        a = np.zeros_like(x)
        a[:, 1:] = x[:, :-1] - x[:, 1:]
        return a

    if "Rule|Spending does not fall" in results:
        scan(RULE_TOTAL, None, results["Rule|Spending does not fall"], fall(results["Spending|Total"]))
    for lv in LEVELS:
        key = f"Rule|Per student does not fall|{LABEL[lv]}"
        if key in results:
            scan(
                RULE_PER_STUDENT, LABEL[lv], results[key], fall(results[f"Spending|Per student|{LABEL[lv]}"])
            )
    if "Rule|Teacher pay at least civil servants" in results:
        scan(
            RULE_PAY,
            None,
            results["Rule|Teacher pay at least civil servants"],
            results["Pay|Civil servants"] - results["Pay|Teachers|Compulsory"],
        )
    order = {RULE_TOTAL: 0, RULE_PER_STUDENT: 1, RULE_PAY: 2}
    found.sort(key=lambda b: (b.draw, b.year, order[b.rule], b.level or ""))
    return found


def breach_table(results: dict[str, np.ndarray], years: np.ndarray, draw: int | None = None):
    """The breaches as a tidy pandas DataFrame (columns draw, year, rule, level, amount).

    >>> breach_table({}, np.arange(2020, 2022)).columns.tolist()
    ['draw', 'year', 'rule', 'level', 'amount']
    """
    rows = breaches(results, years, draw)
    return pd.DataFrame(
        [(b.draw, b.year, b.rule, b.level, b.amount) for b in rows],
        columns=["draw", "year", "rule", "level", "amount"],
    )
