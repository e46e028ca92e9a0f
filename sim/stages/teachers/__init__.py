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
from .des import des_supply
from .supply import LEVELS, RURAL, TEGANG_LEVELS, stock_arrays, supply_inputs

AREA_LABEL = {"urban": "Urban", "rural": "Rural"}
ENGINES = ("aggregate", "des")


def supply_results(
    demand: np.ndarray,
    subjects: dict[str, np.ndarray],
    enrol: np.ndarray,
    sup: dict[str, np.ndarray],
    ctx: StageContext,
) -> dict[str, np.ndarray]:
    """Name the arrays in the IAMC style; every value (D, T)."""
    res: dict[str, np.ndarray] = {}
    supply = sup["supply"]
    for k, lv in enumerate(LEVELS):
        name = LABEL[lv]
        for a, area in enumerate(AREAS):
            res[f"Teachers|Demand|{name}|{AREA_LABEL[area]}"] = demand[:, :, k, a]
            res[f"Teachers|Supply|{name}|{AREA_LABEL[area]}"] = supply[:, :, k, a]
            res[f"Teachers|Gap|{name}|{AREA_LABEL[area]}"] = supply[:, :, k, a] - demand[:, :, k, a]
        dk, sk = demand[:, :, k].sum(axis=2), supply[:, :, k].sum(axis=2)
        res[f"Teachers|Demand|{name}"] = dk
        res[f"Teachers|Supply|{name}"] = sk
        res[f"Teachers|Gap|{name}"] = sk - dk
        res[f"Teachers|Retirements|{name}"] = sup["retirements"][:, :, k]
        res[f"Teachers|Attrition|{name}"] = sup["attrition"][:, :, k]
        res[f"Teachers|Hires|Regular|{name}"] = sup["regular_hires"][:, :, k]
        key = f"Teachers|Student-teacher ratio|{name}"
        res[key] = ctx.ratio(key, enrol[:, :, k].sum(axis=2), sk)
    res["Teachers|Demand"] = demand.sum(axis=(2, 3))
    res["Teachers|Supply"] = supply.sum(axis=(2, 3))
    res["Teachers|Gap"] = res["Teachers|Supply"] - res["Teachers|Demand"]
    res["Teachers|Hires|Public funded"] = sup["public_funded"]
    res["Teachers|Tegang|Hires"] = sup["tegang_hires"]
    res["Teachers|Tegang|In contract"] = sup["tegang_in_contract"]
    res["Teachers|Tegang|Retained"] = sup["tegang_retained"]
    res["Teachers|Tegang|Left"] = sup["tegang_left"]
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
                    enrol[:, :, k, a], base[k, a], getattr(cfg.demand.elasticity, lv)
                )
    inp = supply_inputs(cfg, ctx, demand)
    engine = ctx.options.get("engine", "aggregate")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: use 'aggregate' or 'des'")
    sup = des_supply(inp, ctx) if engine == "des" else aggregate_supply(inp)
    ctx.put(
        TeacherSupply(
            supply=sup["supply"].sum(axis=3),
            tegang_in_contract=sup["tegang_in_contract"],
            township_subsidy=sup["subsidy"],
        )
    )
    return supply_results(demand, subjects, enrol, sup, ctx)
