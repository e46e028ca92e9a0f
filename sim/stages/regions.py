"""The county-level divisions as rows beside the draws, and the city as their sum.

With a ``regions:`` section every stage runs on ``D × R`` rows (draw-major: row = d·R + r) instead
of ``D``: each stage's arithmetic is unchanged, only its extensive inputs (the base population,
births, net migration, the teacher stock, hires, projects) are shared out among the rows by the
rules below, and the divisions meet at two places: migration between them (the population stage)
and teachers moved between them (the teacher stage). Afterwards every result is folded back:
persons and money add up over the divisions; a rate or a ratio is recomputed from the city's sums
(``CITY_RULES``), never averaged.

How the city's inputs are shared (docs/districts.md; each an **estimate** where no division figure
is published):

- people by single year of age: the city's base table within each census age group (0-4, 5-9,
  10-14, 15-19, 20-64, 65+) in proportion to the divisions' counts in that group, so the divisions
  add up to the city at every age (``apportion_ages``);
- births: the division's share of age 0, moved each year with its people aged 20-39 (population.py:
  ``BirthShares``); the city's net migration: the division's share of all people;
- pupils: nothing to share: every division's pupils follow from its own people at the city's rates;
- teachers in post: each level and area (urban, rural) in proportion to the division's teachers
  needed there in the base year, so every division starts at the city's supply:demand ratio
  (**by construction**: the base-year gaps say nothing about divisions);
- rural share of pupils: the city's, scaled by the division's rural share of people relative to
  the city's (``rural_factor``);
- 特岗 posts: by the scenario's rule (``regions.tegang``).

>>> import numpy as np
>>> city, groups = np.array([10.0, 20.0, 30.0]), np.array([[1.0, 3.0], [3.0, 1.0]])
>>> apportion_ages(city, groups, [(0, 1), (2, 2)]).tolist()
[[2.5, 5.0, 22.5], [7.5, 15.0, 7.5]]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.context import share_within_draw
from ..core.levels import LABEL, MONEY_LEVELS

# census age groups of the division table: (first age, last age) → its share column(s)
AGE_GROUPS: tuple[tuple[int, int], ...] = ((0, 4), (5, 9), (10, 14), (15, 19), (20, 64), (65, 100))
# the three development zones are census units but not divisions: 经开区 and 高新区 lie within the
# four urban districts (en.wikipedia counts them in the districts' total), the 食品区 is placed in
# 丰满区 (assumption: no source places it; docs/research/districts.md)
ZONE_HOSTS = {"吉林经济开发区": "urban", "吉林高新技术产业开发区": "urban", "吉林中国新加坡食品区": "丰满区"}


@dataclass
class Divisions:
    """The divisions of a run, from the division table and the ``regions:`` section."""

    names: list[str]
    names_en: list[str]
    urban: np.ndarray  # (R,) bool: the four urban districts
    persons: np.ndarray  # (R, A) base-year people by single year of age
    urban_people: np.ndarray  # (R,) people in towns (census urban share × people)
    pull: np.ndarray | None = None  # (1|D, T) share of a county's people moving to the districts a year
    settings: Any = None  # the Regions section

    @property
    def R(self) -> int:
        return len(self.names)

    def births_share(self) -> np.ndarray:
        """(R,) each division's share of the city's births: its share of age 0 in the base year."""
        return self.persons[:, 0] / self.persons[:, 0].sum()

    def people_share(self) -> np.ndarray:
        """(R,) each division's share of all people in the base year."""
        total = self.persons.sum(axis=1)
        return total / total.sum()

    def destination(self) -> np.ndarray:
        """(R, R): where a division's movers go: from a county to the urban districts in proportion
        to their people; nobody moves away from an urban district (rows of zeros)."""
        people = self.persons.sum(axis=1) * self.urban
        out = np.zeros((self.R, self.R))
        out[~self.urban] = people / people.sum()
        return out

    def rural_factor(self) -> np.ndarray:
        """(R,) a division's rural share of pupils relative to the city's: its rural share of the
        school-age people (5-19) over the city's (the city's rural pupils stay where they were in
        the base year when every division's pupils are weighted)."""
        school = self.persons[:, 5:20].sum(axis=1)
        rural = 1.0 - self.urban_people / self.persons.sum(axis=1)
        return rural / (np.sum(school * rural) / school.sum())


def apportion_ages(city: np.ndarray, groups: np.ndarray, edges=AGE_GROUPS) -> np.ndarray:
    """The city's people by single year of age (A,) shared among divisions (R, A): within each age
    group, in proportion to the divisions' counts in that group ``groups`` (R, G). The divisions add
    up to the city at every age."""
    out = np.empty((groups.shape[0], city.shape[0]))
    for g, (lo, hi) in enumerate(edges):
        share = groups[:, g] / groups[:, g].sum()
        out[:, lo : hi + 1] = share[:, None] * city[None, lo : hi + 1]
    return out


def group_counts(table) -> tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Divisions (names, English names, urban flag), people by census age group (R, G) and urban
    people (R,) from the division table, the development zones folded into their hosts."""
    names = [str(x) for x in table["name"].to_numpy()]
    kind = [str(x) for x in table["kind"].to_numpy()]
    pop = table["population"].to_numpy(dtype=float)
    col = lambda c: table[c].to_numpy(dtype=float)  # noqa: E731
    shares = np.stack(
        [
            col("share_0_4"),
            col("share_5_9"),
            col("share_10_14"),
            col("share_15_19"),
            col("share_15_64") - col("share_15_19"),
            col("share_65_plus"),
        ],
        axis=1,
    )
    # the census shares of a unit add up to 1 within rounding (4 decimals): close them exactly
    shares = shares / shares.sum(axis=1, keepdims=True)
    counts = shares * pop[:, None]
    urban_people = col("urban_share") * pop
    keep = [i for i, k in enumerate(kind) if k != "zone"]
    div = [names[i] for i in keep]
    is_urban = np.array([kind[i] == "district" for i in keep])
    G, U = counts[keep].copy(), urban_people[keep].copy()
    for i, k in enumerate(kind):
        if k != "zone":
            continue
        host = ZONE_HOSTS.get(names[i], "urban")
        if host == "urban":
            w = pop[keep] * is_urban
        else:
            w = np.array([n == host for n in div], dtype=float)
        w = w / w.sum()
        G += w[:, None] * counts[i][None, :]
        U += w * urban_people[i]
    en = [str(table["name_en"].to_numpy()[i]) for i in keep]
    return div, en, is_urban, G, U


def divisions(settings, table, city_base: np.ndarray) -> Divisions:
    """The run's divisions: the city's base population apportioned by the table's age groups, a
    division's people replaced where ``regions.population`` gives them (its age profile kept)."""
    names, en, is_urban, groups, urban_people = group_counts(table)
    persons = apportion_ages(np.asarray(city_base, dtype=float), groups)
    for name, n in (settings.population or {}).items():
        r = names.index(name)
        f = n / persons[r].sum()
        persons[r] *= f
        urban_people[r] *= f
    return Divisions(names, en, is_urban, persons, urban_people, settings=settings)


def tile(per_division: np.ndarray, D: int) -> np.ndarray:
    """A value for each division (R, ...) → per-row (D·R, ...)."""
    return np.tile(per_division, (D,) + (1,) * (per_division.ndim - 1))


def tegang_weights(div: Divisions, rural_need: np.ndarray) -> np.ndarray:
    """Per-row weights (D·R, T) of the city's 特岗 posts: the rule of ``regions.tegang`` on each
    row's rural primary and junior teacher demand ``rural_need`` (D·R, T)."""
    rule = div.settings.tegang
    R = div.R
    if rule.rule == "shares":
        w = np.array([rule.shares.get(n, 0.0) for n in div.names])
        return np.broadcast_to(tile(w, rural_need.shape[0] // R)[:, None], rural_need.shape).copy()
    need = rural_need
    if rule.rule == "priority":
        chosen = np.array([n in rule.priority for n in div.names], dtype=float)
        need = need * tile(chosen, rural_need.shape[0] // R)[:, None]
    return share_within_draw(need, R)


# ====================================================================== the city from its divisions
# what a run of many draws keeps of each division (a run of one draw keeps every variable): the
# indicators a planner compares between divisions
KEY_REGIONAL = (
    "Population|Total",
    "Population|Births",
    "Population|Net migration",
    "Enrolment|Preschool",
    "Enrolment|Primary",
    "Enrolment|Junior",
    "Enrolment|Upper secondary",
    "Enrolment|Secondary vocational",
    "GER|Preschool",
    "GER|Upper secondary",
    "Teachers|Demand",
    "Teachers|Supply",
    "Teachers|Gap",
    "Teachers|Gap|Primary",
    "Teachers|Gap|Junior",
    "Teachers|Tegang|Hires",
    "Teachers|Student-teacher ratio|Primary",
    "Places|Utilisation|Primary",
    "Places|Utilisation|Junior",
    "Places|Needed|Primary",
    "Places|Needed|Junior",
    "Spending|Total",
)

LEVEL_LABELS = tuple(LABEL[lv] for lv in MONEY_LEVELS)  # the levels the money stage reports


def _ratio(num: str, den: str | tuple[str, ...]) -> tuple:
    return ("ratio", num, (den,) if isinstance(den, str) else den)


def _weighted(*weights: str) -> tuple:
    return ("weighted", weights)


def _non_personnel_required(regional: dict) -> np.ndarray:
    """Required non-personnel spending (D, R, T): what the budget needs beyond its commitments."""
    committed = sum(regional[k] for k in ("Spending|Pay bill", "Spending|Programmes", "Spending|Projects"))
    return regional["Budget|Required"] - committed


def _rules() -> dict[str, tuple]:
    """How each result that is not a count of persons or yuan is rebuilt for the city."""
    r: dict[str, tuple] = {
        "GER|Preschool": _ratio("Enrolment|Preschool", "Population|Age 3-5"),
        "NER|Primary": _weighted("Population|Age 6-11"),
        "NER|Junior": _weighted("Population|Age 12-14"),
        "GER|Upper secondary": _ratio("Enrolment|Upper secondary", "Population|Age 15-17"),
        "Share|Secondary vocational": _ratio("Enrolment|Secondary vocational", "Enrolment|Upper secondary"),
        # the cohort's junior graduates over its primary entrants: weighted by this year's entrants
        # (an approximation: the entrants of 8 years before are not a result)
        "Consolidation rate|Compulsory": _weighted("Entrants|Primary"),
        # computed on the city (sim/stages/attainment.py): every row holds the city's value
        "Mean years of schooling|Working age": ("same",),
        "Check|Attainment clipped": ("same",),
        "Population|Crude death rate": ("function", "crude_death_rate"),
        "Price index": ("same",),
        "Pay|Civil servants": ("same",),
        # the same uncertain input, clipped the same way in every division of a draw
        "Check|Clipped inputs": ("same",),
        # yuan per student: the largest correction any division needed
        "Check|Non-personnel floored": ("max",),
        "Check|Rural share capped": ("max",),
        "Pay|Teachers|Compulsory": _weighted("Teachers|Supply|Primary", "Teachers|Supply|Junior"),
        "Pay|Teachers|Compulsory|Real": _weighted("Teachers|Supply|Primary", "Teachers|Supply|Junior"),
        # the envelope's room over the required non-personnel spending: weighted by the latter
        "Budget|Affordable scale": ("weighted_by", _non_personnel_required),
        "Teachers|Training|Share meeting 360h": _weighted("Teachers|Supply"),
        "Rule|Spending does not fall": ("not_fall", "Spending|Total"),
        "Rule|Teacher pay at least civil servants": ("pay_rule",),
        "Rule|Per student does not fall": (
            "all_of",
            tuple(f"Rule|Per student does not fall|{L}" for L in LEVEL_LABELS),
        ),
    }
    for L in LEVEL_LABELS:
        r[f"Places|Utilisation|{L}"] = _ratio(f"Enrolment|{L}", f"Places|{L}")
        r[f"Teachers|Student-teacher ratio|{L}"] = _ratio(f"Enrolment|{L}", f"Teachers|Supply|{L}")
        r[f"Spending|Per student|{L}"] = _ratio(f"Spending|{L}", f"Enrolment|{L}")
        r[f"Spending|Per student|{L}|Real"] = _ratio(f"Spending|{L}|Real", f"Enrolment|{L}")
        r[f"Spending|Per student|Required|{L}"] = _weighted(f"Enrolment|{L}")
        r[f"Spending|Per student|Affordable|{L}"] = _weighted(f"Enrolment|{L}")
        r[f"Spending|Non-personnel|Per student|{L}"] = _ratio(f"Spending|Non-personnel|{L}", f"Enrolment|{L}")
        r[f"Rule|Per student does not fall|{L}"] = ("not_fall", f"Spending|Per student|{L}")
    return r


CITY_RULES = _rules()
# units of counts: the city's value is the sum of its divisions' ("yuan per year" is a flow of money
# unless CITY_RULES names it: the per-student and per-teacher amounts are all there)
ADDITIVE_UNITS = {
    "persons",
    "persons per year",
    "yuan",
    "yuan per year",
    "places",
    "classrooms",
    "input units",
    "yuan per month",
    "divisions",
}


def city_rule(variable: str) -> tuple:
    """How the city's value of a variable is made from its divisions' (``("sum",)`` for counts)."""
    from ..core.catalogue import unit

    if variable in CITY_RULES:
        return CITY_RULES[variable]
    if unit(variable) in ADDITIVE_UNITS:
        return ("sum",)
    raise KeyError(f"no rule for the city's value of {variable!r} ({unit(variable)}): add one to CITY_RULES")


# results the model computes on the city, not by division: they are not the divisions' own
CITY_ONLY = frozenset({"Mean years of schooling|Working age", "Check|Attainment clipped"})


def fold(results: dict[str, np.ndarray], R: int, tolerance: float = 0.0) -> tuple[dict, dict]:
    """Per-row results {variable: (D·R, T)} → (the city {variable: (D, T)}, the divisions
    {variable: (D, R, T)}, without ``CITY_ONLY``). Counts add up; rates and ratios are recomputed
    from the city's sums."""
    from .finance import _not_fall
    from .population import crude_death_rate

    regional = {k: v.reshape(-1, R, v.shape[1]) for k, v in results.items()}
    city: dict[str, np.ndarray] = {}
    pending = []
    for k, v in regional.items():
        rule = city_rule(k)
        if rule[0] == "sum":
            city[k] = v.sum(axis=1)
        elif rule[0] == "same":
            city[k] = v[:, 0].copy()
        elif rule[0] == "max":
            city[k] = v.max(axis=1)
        else:
            pending.append((k, rule))
    # "Spending|<level>|Real" is not a result: the per-student real figure is rebuilt through prices
    price = city.get("Price index")
    for k, rule in pending:
        kind = rule[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "ratio":
                num_name, dens = rule[1], rule[2]
                if num_name.endswith("|Real"):
                    num = city[num_name[: -len("|Real")]] / price
                else:
                    num = city[num_name]
                den = sum(city[d] for d in dens)
                city[k] = np.where(den != 0, num / np.where(den != 0, den, 1.0), np.nan)
            elif kind in ("weighted", "weighted_by"):
                w = sum(regional[n] for n in rule[1]) if kind == "weighted" else rule[1](regional)
                v = regional[k]
                ok = np.isfinite(v) & (w > 0)
                tot = np.where(ok, w, 0.0).sum(axis=1)
                city[k] = np.where(
                    tot > 0, np.where(ok, v * w, 0.0).sum(axis=1) / np.where(tot > 0, tot, 1.0), np.nan
                )
            elif kind == "function":
                city[k] = crude_death_rate(city["Population|Deaths"], city["Population|Total"])
                city[k][:, 0] = np.nan
    for k, rule in pending:  # the plan's money rules read the city's values, so they come last
        if rule[0] == "not_fall":
            city[k] = _not_fall(city[rule[1]], tolerance)
        elif rule[0] == "pay_rule":
            pay, cs = city["Pay|Teachers|Compulsory"], city["Pay|Civil servants"]
            city[k] = (pay >= cs * (1.0 - tolerance)).astype(float)
    for k, rule in pending:
        if rule[0] == "all_of":
            city[k] = np.minimum.reduce([city[n] for n in rule[1]])
    return city, {k: v for k, v in regional.items() if k not in CITY_ONLY}


def route_costs(seats: np.ndarray, per_teacher: float, per_100km: float = 1.0) -> np.ndarray:
    """(R, R) yuan to move a teacher from division i to j: ``per_teacher`` × (1 + ``per_100km`` ×
    the great-circle distance between the divisions' seats in hundreds of km); 0 on the diagonal.
    ``seats``: (R, 2) longitude, latitude. An assumption for the least-cost objective: moving
    further costs more (travel home, housing), in proportion to the distance.

    >>> route_costs(np.array([[126.0, 43.0], [126.0, 44.0]]), 10_000).round(0).tolist()
    [[0.0, 21119.0], [21119.0, 0.0]]
    """
    lon, lat = np.radians(seats[:, 0]), np.radians(seats[:, 1])
    dlon = lon[:, None] - lon[None, :]
    dlat = lat[:, None] - lat[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    km = 2 * 6371.0 * np.arcsin(np.sqrt(a))
    out = per_teacher * (1.0 + per_100km * km / 100.0)
    np.fill_diagonal(out, 0.0)
    return out
