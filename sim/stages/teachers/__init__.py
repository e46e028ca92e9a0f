"""Teachers: demand (``demand.py``), supply from the aggregate (``aggregate.py``) or the
discrete-event engine (``des.py``), and the result variables.

>>> from sim.stages.teachers import teacher_stage
"""

from __future__ import annotations

import numpy as np

from ...core.context import StageContext, TeacherSupply
from ...core.levels import LABEL
from ...schema.teachers import AREAS, Teachers
from .aggregate import aggregate_supply
from .demand import SUBJECTS, elasticity_demand, teacher_demand
from .divisions import share_supply
from .supply import LEVELS, RURAL, TEGANG_LEVELS, stock_arrays, supply_inputs

AREA_LABEL = {"urban": "Urban", "rural": "Rural"}
ENGINES = ("aggregate", "des")


def supply_results(
    demand: np.ndarray,
    subjects: dict[str, np.ndarray],
    enrol: np.ndarray,
    sup: dict[str, np.ndarray],
    ctx: StageContext,
    move_cost: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Name the arrays in the IAMC style; every value (D, T). ``move_cost`` (T,): yuan per teacher moved."""
    res: dict[str, np.ndarray] = {}
    supply = sup["supply"]
    for k, lv in enumerate(LEVELS):
        name = LABEL[lv]
        for a, area in enumerate(AREAS):
            cell = f"{name}|{AREA_LABEL[area]}"
            res[f"Teachers|Demand|{cell}"] = demand[:, :, k, a]
            res[f"Teachers|Supply|{cell}"] = supply[:, :, k, a]
            res[f"Teachers|Gap|{cell}"] = supply[:, :, k, a] - demand[:, :, k, a]
            res[f"Teachers|Redeployed|In|{cell}"] = sup["redeployed_in"][:, :, k, a]
            res[f"Teachers|Redeployed|Out|{cell}"] = sup["redeployed_out"][:, :, k, a]
        dk, sk = demand[:, :, k].sum(axis=2), supply[:, :, k].sum(axis=2)
        res[f"Teachers|Demand|{name}"] = dk
        res[f"Teachers|Supply|{name}"] = sk
        res[f"Teachers|Gap|{name}"] = sk - dk
        for key, what in (
            ("Retirements", "retirements"),
            ("Attrition", "attrition"),
            ("Hires|Regular", "regular_hires"),
            ("Early retirements", "early_retirements"),
            ("Redeployed|In", "redeployed_in"),
            ("Redeployed|Out", "redeployed_out"),
            ("Moved between divisions|In", "moved_in"),
            ("Moved between divisions|Out", "moved_out"),
        ):
            res[f"Teachers|{key}|{name}"] = sup[what][:, :, k].sum(axis=2)
        key = f"Teachers|Student-teacher ratio|{name}"
        res[key] = ctx.ratio(key, enrol[:, :, k].sum(axis=2), sk)
    res["Teachers|Demand"] = demand.sum(axis=(2, 3))
    res["Teachers|Supply"] = supply.sum(axis=(2, 3))
    res["Teachers|Gap"] = res["Teachers|Supply"] - res["Teachers|Demand"]
    res["Teachers|Hires|Public funded"] = sup["public_funded"].sum(axis=(2, 3))
    res["Teachers|Hires|Public funded|Not placed"] = sup["public_funded_not_placed"]
    res["Teachers|Tegang|Hires"] = sup["tegang_hires"].sum(axis=(2, 3))
    for k in TEGANG_LEVELS:  # both are placed in rural primary and junior schools only
        res[f"Teachers|Tegang|Hires|{LABEL[LEVELS[k]]}"] = sup["tegang_hires"][:, :, k, RURAL]
        res[f"Teachers|Hires|Public funded|{LABEL[LEVELS[k]]}"] = sup["public_funded"][:, :, k, RURAL]
    res["Teachers|Tegang|Not placed"] = sup["tegang_not_placed"]
    res["Teachers|Tegang|In contract"] = sup["tegang_in_contract"]
    res["Teachers|Tegang|Retained"] = sup["tegang_retained"]
    res["Teachers|Tegang|Left"] = sup["tegang_left"].sum(axis=(2, 3))
    res["Teachers|Early retirements"] = sup["early_retirements"].sum(axis=(2, 3))
    res["Teachers|Moved between divisions|In"] = sup["moved_in"].sum(axis=(2, 3))
    res["Teachers|Moved between divisions|Out"] = sup["moved_out"].sum(axis=(2, 3))
    moved = sup["redeployed_in"].sum(axis=(2, 3))
    res["Teachers|Redeployed"] = moved
    res["Teachers|Redeployed|Decided"] = sup["redeployed_decided"]
    cost = np.zeros(moved.shape[1]) if move_cost is None else np.asarray(move_cost)
    res["Teachers|Redeployed|Cost"] = moved * cost[None, :]
    for s, arr in subjects.items():
        res[f"Teachers|Subject demand|{SUBJECTS[s]}"] = arr
    res["Teachers|Township subsidy|Monthly"] = sup["subsidy"]
    if "training_share" in sup:
        res["Teachers|Training|Share meeting 360h"] = sup["training_share"]
    return res


def teacher_stage(cfg: Teachers, ctx: StageContext) -> dict[str, np.ndarray]:
    """Demand and supply of teachers; supply from ``ctx.options["engine"]``: aggregate or des."""
    demand, subjects, enrol = teacher_demand(cfg, ctx)
    if cfg.demand.mode == "elasticity":
        # from the base year's teachers in post, level by level and area by area
        reg, teg = stock_arrays(ctx.tables[cfg.stock], cfg.stock_year, cfg.tegang.contract_years, check=False)
        base = reg.sum(axis=(2, 3))  # (L, areas)
        base[list(TEGANG_LEVELS), RURAL] += teg.sum(axis=(0, 2, 3))
        for k, lv in enumerate(LEVELS):
            for a in range(len(AREAS)):
                demand[:, :, k, a] = elasticity_demand(
                    enrol[:, :, k, a],
                    base[k, a] * ctx.share(enrol[:, 0, k, a]),
                    getattr(cfg.demand.elasticity, lv),
                )
    inp = supply_inputs(cfg, ctx, demand)
    if ctx.regions is not None:
        inp = share_supply(inp, ctx, demand, cfg.staffing_band, enrol.sum(axis=3))
    engine = ctx.options.get("engine", "aggregate")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use 'aggregate' or 'des'")
    if engine == "des":
        from .des import des_supply  # simpy: imported only by the engine that uses it

        sup = des_supply(inp, ctx)
    else:
        sup = aggregate_supply(inp)
    res = supply_results(demand, subjects, enrol, sup, ctx, inp.move_cost)
    per_move = 0.0 if ctx.regions is None else ctx.regions.settings.redeployment.cost_per_teacher
    res["Teachers|Moved between divisions|Cost"] = res["Teachers|Moved between divisions|Out"] * per_move
    ctx.put(
        TeacherSupply(
            supply=sup["supply"].sum(axis=3),
            tegang_in_contract=sup["tegang_in_contract"],
            township_subsidy=sup["subsidy"],
            redeployment_cost=res["Teachers|Redeployed|Cost"] + res["Teachers|Moved between divisions|Cost"],
        )
    )
    staffing_band(cfg, enrol, sup["supply"], ctx)
    return res


# teachers outside the band by less than this are rounding, not a warning
BAND_TOLERANCE = 0.5


def staffing_band(cfg: Teachers, enrol: np.ndarray, supply: np.ndarray, ctx: StageContext) -> None:
    """``Check|Staffing band|<Level>``: teachers beyond the band of pupils per teacher, + above it (more
    teachers than enrolment / low), − below it (fewer than enrolment / high); 0 inside, and where
    the difference is under half a teacher."""
    for k, lv in enumerate(LEVELS):
        band = getattr(cfg.staffing_band, lv)
        e, s = enrol[:, :, k].sum(axis=2), supply[:, :, k].sum(axis=2)
        over = np.maximum(s - e / band.low, 0.0)
        under = np.maximum(e / band.high - s, 0.0)
        amount = np.where(over >= BAND_TOLERANCE, over, 0.0) - np.where(under >= BAND_TOLERANCE, under, 0.0)
        ctx.check(
            f"Staffing band|{LABEL[lv]}",
            amount,
            f"{LABEL[lv]}: pupils per teacher outside {band.low:g}-{band.high:g} "
            f"(teachers.staffing_band; + teachers above the band, − below)",
        )
