"""Money: spending per student, the teacher pay bill, 特岗, subsidies, training, projects, the budget
envelope and the plan's three money rules (十二(三)), vectorised over draws.

The equations, defaults and sources are in ``docs/finance.md``. Every array is ``(draws, years)``
in nominal yuan unless the name ends in ``|Real`` (deflated by ``Price index``, base year = 1).

Enrolment comes from ``StudentFlows``; teachers in post, 特岗 in contract and the township
subsidy from ``TeacherSupply`` when the teacher stage ran, else from the section's fallbacks.
Breaches of the rules are listed by ``sim/analysis/money_rules.py``.
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


def project_arrays(cfg: Finance, years: np.ndarray) -> dict[str, np.ndarray]:
    """Capital and running cost and capacity added by the projects, each (T,).

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
        for k in ("capital", "running", "kindergarten_places", "classrooms", "vocational_places")
    }
    for p in cfg.projects:
        building = (years >= p.start) & (years <= p.opens)
        out["capital"] += np.where(building, p.cost / (p.opens - p.start + 1), 0.0)  # spread evenly
        open_ = years >= p.opens
        out["running"] += np.where(open_, p.running_cost, 0.0)
        for k in ("kindergarten_places", "classrooms", "vocational_places"):
            out[k] += np.where(open_, getattr(p.adds, k), 0.0)
    return out


def finance_stage(cfg: Finance, ctx: StageContext) -> dict[str, np.ndarray]:
    """The money stage: every result variable of ``sim/variables_finance.csv`` as a (D, T) array.

    Reads enrolment from ``StudentFlows`` and, when the teacher stage ran, teachers in post,
    特岗 in contract and the township subsidy from ``TeacherSupply``; without it, teachers are
    enrolment / ``cfg.pupils_per_teacher`` and the other two the section's fallbacks.
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
    out: dict[str, np.ndarray] = {}

    # --------------------------------------------------------------- recurrent by level
    recurrent, paybill, enrol, supply, pay = {}, {}, {}, {}, {}
    for lv in LEVELS:
        E = _dt(flows.enrolment(lv), D, T)
        if teachers is not None and lv in TEACHER_LEVELS:
            S = _dt(teachers.supply[:, :, TEACHER_LEVELS.index(lv)], D, T)
        else:  # teacher module absent: pupils per teacher
            S = E / ev(f"pupils_per_teacher.{lv}", cfg.pupils_per_teacher.get(lv), 1e-12)
        w = ev(f"pay.{lv}", cfg.pay.get(lv))
        pb = S * w
        ps = ev(f"per_student.{lv}", cfg.per_student.get(lv))
        if cfg.recurrent == "per_student":
            rec = ps * E  # pay is inside the per-student figure
        else:
            rec = pb + ps * (1.0 - ev(f"personnel_share.{lv}", cfg.personnel_share.get(lv), 0.0, 1.0)) * E
        enrol[lv], supply[lv], pay[lv], paybill[lv], recurrent[lv] = E, S, w, pb, rec

    # --------------------------------------------------------------- programmes
    if teachers is not None:
        township = _dt(teachers.township_subsidy, D, T) * 12.0
        n_tg = _dt(teachers.tegang_in_contract, D, T)
    else:
        township = _dt(ev("township_subsidy_fallback", cfg.township_subsidy_fallback) * 12.0, D, T)
        n_tg = _dt(ev("tegang.in_contract_fallback", cfg.tegang.in_contract_fallback), D, T)
    tg_pay, tg_central = (
        ev("tegang.pay", cfg.tegang.pay),
        ev("tegang.central_subsidy", cfg.tegang.central_subsidy),
    )
    tg_central_total = n_tg * np.minimum(tg_central, tg_pay)
    tg_local = n_tg * np.maximum(tg_pay - tg_central, 0.0)  # the local top-up
    training = _dt(
        ev("training.person_trainings", cfg.training.person_trainings)
        * ev("training.hours_per_training", cfg.training.hours_per_training)
        * ev("training.cost_per_hour", cfg.training.cost_per_hour),
        D,
        T,
    )
    if cfg.recurrent == "per_student":
        # The base year's per-student figure already holds that year's subsidy, 特岗 local cost and
        # training; only their change from the base year is new money (no double counting).
        programmes = township + tg_local + training
        extras = programmes - programmes[:, :1]
    else:
        # Bottom-up: the pay bill holds 特岗 teachers at full pay; the central subsidy pays part of it
        # and arrives outside the envelope, so it is taken off — never more than the primary and
        # junior pay bill it pays into (without the teacher module that bill may hold fewer 特岗).
        extras = township + training - np.minimum(tg_central_total, sum(paybill[lv] for lv in COMPULSORY))

    proj = project_arrays(cfg, years)
    projects = _dt(proj["capital"] + proj["running"], D, T)

    rec_total = sum(recurrent.values())
    required = rec_total + extras + projects

    # --------------------------------------------------------------- envelope
    if cfg.envelope is not None:
        envelope = _dt(ev("envelope", cfg.envelope), D, T)
    else:
        g = ev("envelope_growth", cfg.envelope_growth, -1.0 + 1e-9)  # (1|D, T)
        factor = np.concatenate([np.ones_like(g[:, :1]), np.cumprod(1.0 + g[:, 1:], axis=1)], axis=1)
        ratio = ev("envelope_base_ratio", cfg.envelope_base_ratio, 1e-12)[:, :1]
        envelope = _dt(required[:, :1] * ratio * factor, D, T)
    gap = required - envelope
    # what the envelope affords: recurrent spending scaled so that everything fits
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(rec_total > 0, np.maximum(envelope - extras - projects, 0.0) / rec_total, 0.0)

    if cfg.allocation == "required":
        spend = recurrent
        total = required
    else:
        spend = {lv: recurrent[lv] * scale for lv in LEVELS}
        total = sum(spend.values()) + extras + projects

    # --------------------------------------------------------------- per level results
    tol = cfg.tolerance
    rule_ps = np.ones((D, T))
    for lv in LEVELS:
        L, E = LABEL[lv], enrol[lv]
        with np.errstate(divide="ignore", invalid="ignore"):
            per = ctx.ratio(f"Spending|Per student|{L}", spend[lv], E)
            afford = ctx.ratio(f"Spending|Per student|Affordable|{L}", recurrent[lv] * scale, E)
            req = ctx.ratio(f"Spending|Per student|Required|{L}", recurrent[lv], E)
        ctx.ratios.add(f"Spending|Per student|{L}|Real")
        out[f"Spending|{L}"] = spend[lv]
        out[f"Spending|Per student|{L}"] = per
        out[f"Spending|Per student|{L}|Real"] = per / price
        out[f"Spending|Per student|Required|{L}"] = req
        out[f"Spending|Per student|Affordable|{L}"] = afford
        out[f"Spending|Pay bill|{L}"] = paybill[lv]
        out[f"Spending|Non-personnel|{L}"] = spend[lv] - paybill[lv]
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
            "Spending|Recurrent": sum(spend.values()),
            "Spending|Pay bill": sum(paybill.values()),
            "Spending|Subsidy|Township": township,
            "Spending|Tegang": tg_local,
            "Spending|Tegang|Central": tg_central_total,
            "Spending|Training": training,
            "Spending|Programmes|Increment": extras,
            "Spending|Projects": projects,
            "Spending|Projects|Capital": _dt(proj["capital"], D, T),
            "Spending|Projects|Running": _dt(proj["running"], D, T),
            "Capacity|Added|Kindergarten places": _dt(proj["kindergarten_places"], D, T),
            "Capacity|Added|Classrooms": _dt(proj["classrooms"], D, T),
            "Capacity|Added|Vocational places": _dt(proj["vocational_places"], D, T),
            "Budget|Required": required,
            "Budget|Envelope": envelope,
            "Budget|Envelope|Real": envelope / price,
            "Budget|Gap": gap,
            "Budget|Gap|Real": gap / price,
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
