"""Money: the pay bill of the teachers in post, non-personnel spending per student, subsidies,
training, redeployment, 特岗, projects, the budget envelope and the plan's three money rules
(十二(三)), vectorised over draws.

One recurrent model (equations, defaults and sources in ``docs/finance.md``)::

    Spending|<level> = teachers in post × pay + non-personnel per student × students
    Spending|Total   = Σ levels + township subsidy + training + redeployment − central 特岗 subsidy
                       + projects

Non-personnel spending per student is calibrated in the base year so that each level's spending
equals the published per-student figure × students, then follows the price index (× the real
growth ``non_personnel_real_growth``). What the total would be with the per-student path × students
in place of the levels' spending is published beside it as ``Spending|Comparison|Per-student path``
(equal to the total in the base year), never as the headline. Every array is ``(draws, years)``
in nominal yuan unless the name ends in ``|Real`` (deflated by ``Price index``, base year = 1).

Enrolment comes from ``StudentFlows``; teachers in post, 特岗 in contract, the township subsidy and
the redeployment cost from ``TeacherSupply`` when the teacher stage ran, else from the section's
fallbacks. Breaches of the rules are listed by ``sim/analysis/money_rules.py``.
"""

from __future__ import annotations

import numpy as np

from ..core.context import StageContext, StudentFlows, TeacherSupply
from ..core.levels import COMPULSORY, LABEL, MONEY_LEVELS, TEACHER_LEVELS
from ..schema.finance import Finance, check_projects

LEVELS = MONEY_LEVELS

RULE_TOTAL = "Spending does not fall"
RULE_PER_STUDENT = "Per student does not fall"
RULE_PAY = "Teacher pay at least civil servants"


def _dt(a: np.ndarray, D: int, T: int) -> np.ndarray:
    """Broadcast a (T,), (1, T) or (D, T) array to a fresh (D, T) float array."""
    return np.broadcast_to(np.asarray(a, dtype=float), (D, T)).copy()


def _not_fall(x: np.ndarray, tol: float) -> np.ndarray:
    """1.0 where x[t] ≥ x[t-1] (relative tolerance ``tol``), the base year and NaN steps hold."""
    ok = np.ones_like(x)
    prev, cur = x[:, :-1], x[:, 1:]
    fell = cur < prev - tol * np.abs(prev)
    ok[:, 1:] = np.where(np.isnan(prev) | np.isnan(cur), 1.0, (~fell).astype(float))
    return ok


def _grown(g: np.ndarray) -> np.ndarray:
    """Cumulative factor of yearly growth rates (1|D, T): 1 in the base year, Π(1 + g) after."""
    return np.concatenate([np.ones_like(g[:, :1]), np.cumprod(1.0 + g[:, 1:], axis=1)], axis=1)


def project_arrays(cfg: Finance, years: np.ndarray, place=None) -> dict[str, np.ndarray]:
    """Capital and running cost and capacity added by the projects, each (T,); with ``place``
    (project → its share in each row, (rows, 1)) each (rows, T).

    >>> from types import SimpleNamespace
    >>> from sim.schema.finance import Project
    >>> k = Project(name="k", start=2021, opens=2022, cost=2e6, running_cost=1e5,
    ...             adds={"kindergarten_places": 270})
    >>> a = project_arrays(SimpleNamespace(projects=[k]), np.arange(2020, 2024))
    >>> a["capital"].tolist(), a["running"].tolist(), a["kindergarten_places"].tolist()
    ([0.0, 1000000.0, 1000000.0, 0.0], [0.0, 0.0, 100000.0, 100000.0], [0.0, 0.0, 270.0, 270.0])
    """
    years = np.asarray(years)
    T = len(years)
    out = {
        k: np.zeros(T)
        for k in (
            "capital",
            "running",
            "kindergarten_places",
            "classrooms",
            "vocational_places",
            *SCHOOL_PLACES,
        )
    }
    for p in cfg.projects:
        w = 1.0 if place is None else place(p)
        building = (years >= p.start) & (years <= p.opens)
        out["capital"] = out["capital"] + w * np.where(building, p.cost / (p.opens - p.start + 1), 0.0)
        open_ = years >= p.opens
        out["running"] = out["running"] + w * np.where(open_, p.running_cost, 0.0)
        for k in ("kindergarten_places", "classrooms", "vocational_places"):
            out[k] = out[k] + w * np.where(open_, getattr(p.adds, k), 0.0)
        for k in SCHOOL_PLACES:
            out[k] = out[k] + w * np.where(open_, p.adds.school_places.get(k, 0.0), 0.0)
    return out


SCHOOL_PLACES = ("primary", "junior", "senior_general", "secondary_vocational")


def _placing(ctx: StageContext, pupils0: np.ndarray):
    """Where a project is, as each row's share of it: its ``region``, or (city-wide) every division
    by its share of pupils in the base year; None without divisions."""
    div = ctx.regions
    if div is None:
        return None
    by_pupils = ctx.share(pupils0)

    def place(p) -> np.ndarray:
        if p.region is None:
            return by_pupils
        one = np.array([n == p.region for n in div.names], dtype=float)
        return np.tile(one, ctx.draws // div.R)[:, None]

    return place


def finance_stage(cfg: Finance, ctx: StageContext) -> dict[str, np.ndarray]:
    """The money stage: every result variable of ``sim/core/variables/finance.csv`` as a (D, T) array.

    Reads enrolment from ``StudentFlows`` and, when the teacher stage ran, teachers in post, 特岗 in
    contract, the township subsidy and the redeployment cost from ``TeacherSupply``; without it,
    teachers are enrolment / ``cfg.pupils_per_teacher``, the 特岗 count and township subsidy the
    section's fallbacks and redeployment costs nothing.
    """
    years = np.asarray(ctx.years)
    D, T = ctx.draws, len(years)
    check_projects(cfg, int(years[0]), int(years[-1]))
    flows = ctx.need(StudentFlows)
    teachers = ctx.get(TeacherSupply)

    def ev(path: str, value, lo: float | None = 0.0, hi: float | None = None) -> np.ndarray:
        # (1, T), or (D, T) when the scenario's uncertainty: block names finance.<path>
        return ctx.evaluate(f"finance.{path}", value, lo, hi)

    price = ev("price_index", cfg.price_index, 1e-12)
    price = price / price[:, :1]  # base year = 1 whatever the series' level
    # non-personnel spending per student moves with prices × its own real growth
    np_index = _dt(
        price * _grown(ev("non_personnel_real_growth", cfg.non_personnel_real_growth, -1 + 1e-9)), D, T
    )
    out: dict[str, np.ndarray] = {}

    # --------------------------------------------------------------- by level: pay bill + non-personnel
    enrol, supply, pay, paybill, nonpers, comparison = {}, {}, {}, {}, {}, {}
    floored = np.zeros((D, T))
    for lv in LEVELS:
        E = _dt(flows.enrolment(lv), D, T)
        if teachers is not None and lv in TEACHER_LEVELS:
            S = _dt(teachers.supply[:, :, TEACHER_LEVELS.index(lv)], D, T)
        else:  # teacher module absent: pupils per teacher
            S = E / ev(f"pupils_per_teacher.{lv}", cfg.pupils_per_teacher.get(lv), 1e-12)
        w = _dt(ev(f"pay.{lv}", cfg.pay.get(lv)), D, T)
        pb = S * w
        ps = _dt(ev(f"per_student.{lv}", cfg.per_student.get(lv)), D, T)
        # calibration: base-year spending of the level = per-student figure × students, so
        # non-personnel per student = per-student − pay bill per student (a level with no
        # students in the base year: the whole per-student figure)
        with np.errstate(divide="ignore", invalid="ignore"):
            pb_per0 = np.where(E[:, :1] > 0, pb[:, :1] / E[:, :1], 0.0)
        n0 = ps[:, :1] - pb_per0
        floored[:, :1] += np.maximum(-n0, 0.0)  # the pay bill alone exceeds the per-student figure
        n = np.maximum(n0, 0.0) * np_index
        enrol[lv], supply[lv], pay[lv], paybill[lv] = E, S, w, pb
        nonpers[lv], comparison[lv] = n * E, ps * E
    ctx.check(
        "Non-personnel floored",
        floored,
        "base-year pay bill per student above the per-student figure: non-personnel spending set to 0",
    )

    # --------------------------------------------------------------- programmes
    if teachers is not None:
        township = _dt(teachers.township_subsidy, D, T) * 12.0
        n_tg = _dt(teachers.tegang_in_contract, D, T)
        redeploy = (
            np.zeros((D, T)) if teachers.redeployment_cost is None else _dt(teachers.redeployment_cost, D, T)
        )
    else:
        # city-wide figures: shared among divisions by pupils in the base year
        by_pupils = ctx.share(sum(enrol.values())[:, :1])
        township = (
            _dt(ev("township_subsidy_fallback", cfg.township_subsidy_fallback) * 12.0, D, T) * by_pupils
        )
        n_tg = _dt(ev("tegang.in_contract_fallback", cfg.tegang.in_contract_fallback), D, T) * by_pupils
        redeploy = np.zeros((D, T))
    tg_pay, tg_central = (
        ev("tegang.pay", cfg.tegang.pay),
        ev("tegang.central_subsidy", cfg.tegang.central_subsidy),
    )
    # 特岗 teachers are among the teachers in post, so the pay bill pays them in full; the central
    # salary subsidy is not the city's money and is taken off — never more than the primary and
    # junior pay bill it pays into (without the teacher module that bill may hold fewer 特岗)
    tg_central_total = np.minimum(
        n_tg * np.minimum(tg_central, tg_pay), sum(paybill[lv] for lv in COMPULSORY)
    )
    tg_local = n_tg * np.maximum(tg_pay - tg_central, 0.0)  # the city's share: inside the pay bill
    training = _dt(
        ev("training.person_trainings", cfg.training.person_trainings)
        * ev("training.hours_per_training", cfg.training.hours_per_training)
        * ev("training.cost_per_hour", cfg.training.cost_per_hour),
        D,
        T,
    )
    # with divisions, the city's training by each division's share of teachers, its projects and
    # any stated envelope by its share of pupils in the base year (estimates: docs/districts.md)
    pupils0 = sum(enrol.values())[:, :1]
    training = training * ctx.share(sum(supply.values())[:, :1])
    programmes = township + training + redeploy - tg_central_total

    proj = project_arrays(cfg, years, _placing(ctx, pupils0))
    projects = _dt(proj["capital"] + proj["running"], D, T)

    pb_total = sum(paybill.values())
    np_required = sum(nonpers.values())
    committed = pb_total + programmes + projects  # teachers in post are paid, whatever the envelope
    required = committed + np_required

    # --------------------------------------------------------------- envelope
    if cfg.envelope is not None:
        envelope = _dt(ev("envelope", cfg.envelope), D, T) * ctx.share(pupils0)
    else:
        g = ev("envelope_growth", cfg.envelope_growth, -1.0 + 1e-9)  # (1|D, T)
        ratio = ev("envelope_base_ratio", cfg.envelope_base_ratio, 1e-12)[:, :1]
        envelope = _dt(required[:, :1] * ratio * _grown(g), D, T)
    # what the envelope affords: pay bill, programmes and projects first, non-personnel scaled to
    # what is left (0 when nothing is left: pay is never cut to fit)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(np_required > 0, np.maximum(envelope - committed, 0.0) / np_required, 0.0)
    unfunded = np.maximum(committed - envelope, 0.0)

    if cfg.allocation == "required":
        spend_np = nonpers
    else:
        spend_np = {lv: nonpers[lv] * scale for lv in LEVELS}
    spend = {lv: paybill[lv] + spend_np[lv] for lv in LEVELS}
    recurrent = sum(spend.values())
    total = recurrent + programmes + projects

    # --------------------------------------------------------------- per level results
    tol = cfg.tolerance
    rule_ps = np.ones((D, T))
    for lv in LEVELS:
        L, E = LABEL[lv], enrol[lv]
        with np.errstate(divide="ignore", invalid="ignore"):
            per = ctx.ratio(f"Spending|Per student|{L}", spend[lv], E)
            afford = ctx.ratio(f"Spending|Per student|Affordable|{L}", paybill[lv] + nonpers[lv] * scale, E)
            req = ctx.ratio(f"Spending|Per student|Required|{L}", paybill[lv] + nonpers[lv], E)
            npe = ctx.ratio(f"Spending|Non-personnel|Per student|{L}", spend_np[lv], E)
            real = ctx.ratio(f"Spending|Per student|{L}|Real", spend[lv], E * price)
        out[f"Spending|{L}"] = spend[lv]
        out[f"Spending|Per student|{L}"] = per
        out[f"Spending|Per student|{L}|Real"] = real
        out[f"Spending|Per student|Required|{L}"] = req
        out[f"Spending|Per student|Affordable|{L}"] = afford
        out[f"Spending|Pay bill|{L}"] = paybill[lv]
        out[f"Spending|Non-personnel|{L}"] = spend_np[lv]
        out[f"Spending|Non-personnel|Per student|{L}"] = npe
        r = _not_fall(per, tol)
        out[f"Rule|Per student does not fall|{L}"] = r
        rule_ps = np.minimum(rule_ps, r)

    # --------------------------------------------------------------- pay comparison
    s_c = sum(supply[lv] for lv in COMPULSORY)
    with np.errstate(divide="ignore", invalid="ignore"):
        pay_c = np.where(
            s_c > 0,
            sum(paybill[lv] for lv in COMPULSORY) / s_c,
            sum(pay[lv] for lv in COMPULSORY) / len(COMPULSORY),
        )  # no teachers: plain mean
    cs = _dt(ev("civil_servant_pay", cfg.civil_servant_pay), D, T)

    out.update(
        {
            "Spending|Total": total,
            "Spending|Total|Real": total / price,
            "Spending|Recurrent": recurrent,
            "Spending|Pay bill": pb_total,
            "Spending|Non-personnel": sum(spend_np.values()),
            "Spending|Subsidy|Township": township,
            "Spending|Tegang": tg_local,
            "Spending|Tegang|Central": tg_central_total,
            "Spending|Training": training,
            "Spending|Redeployment": redeploy,
            "Spending|Programmes": programmes,
            "Spending|Projects": projects,
            "Spending|Projects|Capital": _dt(proj["capital"], D, T),
            "Spending|Projects|Running": _dt(proj["running"], D, T),
            "Spending|Comparison|Per-student path": sum(comparison.values()) + programmes + projects,
            "Capacity|Added|Kindergarten places": _dt(proj["kindergarten_places"], D, T),
            "Capacity|Added|Classrooms": _dt(proj["classrooms"], D, T),
            "Capacity|Added|Vocational places": _dt(proj["vocational_places"], D, T),
            **{f"Capacity|Added|School places|{LABEL[k]}": _dt(proj[k], D, T) for k in SCHOOL_PLACES},
            "Budget|Required": required,
            "Budget|Envelope": envelope,
            "Budget|Envelope|Real": envelope / price,
            "Budget|Shortfall": np.maximum(required - envelope, 0.0),
            "Budget|Surplus": np.maximum(envelope - required, 0.0),
            "Budget|Shortfall|Unfunded commitments": unfunded,
            "Budget|Affordable scale": scale,
            "Pay|Teachers|Compulsory": pay_c,
            "Pay|Teachers|Compulsory|Real": pay_c / price,
            "Pay|Civil servants": cs,
            "Price index": _dt(price, D, T),
            "Rule|Spending does not fall": _not_fall(total, tol),
            "Rule|Per student does not fall": rule_ps,
            "Rule|Teacher pay at least civil servants": (pay_c >= cs * (1.0 - tol)).astype(float),
        }
    )
    return out
