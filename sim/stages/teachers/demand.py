"""Teacher demand by level and area (staffing ratios, classes, or elasticity); subject teachers by
curriculum hours.

Demand, by level (``TEACHER_LEVELS``) and area (urban, rural), in one of three modes:

* ``ratio``: enrolment / students-per-staff standard × full-time teachers per staff post (by level:
  the norms count staff, 教职工; the stock counts full-time teachers, 专任教师), so demand and supply
  are in one unit (preschool: classes of the standard size × 2 teachers, not rounded);
* ``class``: Σ over grades of ceil(grade enrolment in the area / class size) × teachers per class;
* ``elasticity``: the base year's teachers, moved each year by elasticity × the % change in enrolment.

Subject-teacher demand (PE, arts, labour, civics) is classes × weekly periods / weekly
load, with classes counted as in ``class`` mode whatever the demand mode. It is a part
of the level totals (those teachers are inside the staffing norm), reported apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.context import StageContext, StudentFlows
from ...core.levels import TEACHER_LEVELS, grade_slice
from ...schema.teachers import AREAS, STAFF_NORM_LEVELS, Teachers
from .divisions import rural_rows

LEVELS = TEACHER_LEVELS
L, AR = len(LEVELS), len(AREAS)
SUBJECTS = {"pe": "PE", "arts": "Arts", "labour": "Labour", "civics": "Civics"}


def classes_needed(pupils: np.ndarray, class_size: np.ndarray) -> np.ndarray:
    """Classes needed: pupils / class size rounded up (a small tolerance absorbs float noise).

    >>> classes_needed(np.array([0.0, 45.0, 46.0, 90.0000001]), np.array(45.0)).tolist()
    [0.0, 1.0, 2.0, 2.0]
    """
    return np.ceil(pupils / class_size - 1e-6).clip(min=0.0)


def ratio_demand(
    enrolment: np.ndarray, students_per_staff: np.ndarray, teachers_per_staff: float = 1.0
) -> np.ndarray:
    """Teachers from a staffing ratio: enrolment / students per staff × full-time teachers per post.

    >>> ratio_demand(np.array([[1900.0]]), np.array([[19.0]])).tolist()
    [[100.0]]
    """
    return enrolment / students_per_staff * teachers_per_staff


def class_demand(grade_pupils: np.ndarray, class_size: np.ndarray, per_class: float) -> np.ndarray:
    """Σ over grades (last axis) of ceil(pupils / class size) × teachers per class.

    >>> class_demand(np.array([[[46.0, 45.0]]]), np.array([[45.0]]), 2.0).tolist()
    [[6.0]]
    """
    return classes_needed(grade_pupils, class_size[..., None]).sum(axis=-1) * per_class


def preschool_demand(
    children: np.ndarray, class_sizes: np.ndarray, per_class: float, rounded: bool
) -> np.ndarray:
    """Kindergarten teachers: classes by age (small/middle/large) × teachers per class (教师〔2013〕1号: 2).

    children (..., 3) by age 3, 4, 5; class_sizes broadcastable to it. ``rounded`` rounds
    classes up (class mode); otherwise classes are fractional (ratio mode).

    >>> preschool_demand(np.array([26.0, 30.0, 35.0]), np.array([25.0, 30.0, 35.0]), 2, True).tolist()
    8.0
    """
    classes = classes_needed(children, class_sizes) if rounded else children / class_sizes
    return classes.sum(axis=-1) * per_class


def subject_demand(classes_by_band: dict[str, np.ndarray], periods: Any, load: Any) -> np.ndarray:
    """Subject teachers: Σ over bands of classes × periods a week / periods one teacher teaches.

    ``classes_by_band`` maps grades_1_2, grades_3_6, junior, senior to class counts.

    >>> from sim.schema.teachers import WeeklyPeriods, TeachingLoad
    >>> p = WeeklyPeriods(grades_1_2=4, grades_3_6=3, junior=3, senior=2)
    >>> l = TeachingLoad(primary=18, junior=14, senior=14)
    >>> float(subject_demand({"grades_1_2": np.array(9.0), "grades_3_6": np.array(6.0),
    ...                       "junior": np.array(14.0), "senior": np.array(7.0)}, p, l))
    7.0
    """
    return (
        classes_by_band["grades_1_2"] * periods.grades_1_2 / load.primary
        + classes_by_band["grades_3_6"] * periods.grades_3_6 / load.primary
        + classes_by_band["junior"] * periods.junior / load.junior
        + classes_by_band["senior"] * periods.senior / load.senior
    )


def _grade_bands(flows: StudentFlows) -> dict[str, np.ndarray]:
    """Enrolment by grade (D, T, G) for each teacher level (preschool: by age 3, 4, 5)."""
    ge = flows.grade_enrolment
    return {lv: (flows.preschool if lv == "preschool" else ge[:, :, grade_slice(lv)]) for lv in LEVELS}


def teacher_demand(
    cfg: Teachers, ctx: StageContext
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Demand (D, T, level, area), subject demand {subject: (D, T)} and enrolment (D, T, level, area)."""
    d = cfg.demand
    ser = lambda s: s.evaluate(ctx.years)[None, :]  # noqa: E731  (1, T)
    flows = ctx.need(StudentFlows)
    bands = _grade_bands(flows)
    D = flows.stock.shape[0]
    T = len(ctx.years)
    demand = np.zeros((D, T, L, AR))
    enrol = np.zeros((D, T, L, AR))
    classes = {}  # (level, area) → (D, T, G) classes per grade
    for k, lv in enumerate(LEVELS):
        rural = ser(getattr(d.rural_share, lv))
        if ctx.regions is not None:  # a county has more of its pupils in the country than a district
            rural = rural_rows(rural, ctx)
        total = flows.enrolment(lv)
        grades = bands[lv]
        for a, area in enumerate(AREAS):
            share = rural if area == "rural" else 1.0 - rural
            enrol[:, :, k, a] = total * share
            g = grades * share[..., None]
            if lv == "preschool":
                cs = d.class_size.preschool
                size = np.stack([ser(cs.small), ser(cs.middle), ser(cs.large)], axis=-1)
                classes[lv, area] = classes_needed(g, size)
                demand[:, :, k, a] = preschool_demand(
                    g, size, d.teachers_per_class.preschool, rounded=d.mode == "class"
                )
                continue
            size = ser(getattr(getattr(d.class_size, lv), area))
            classes[lv, area] = classes_needed(g, size[..., None])
            if d.mode == "class":
                demand[:, :, k, a] = classes[lv, area].sum(axis=-1) * getattr(d.teachers_per_class, lv)
            else:
                ratio = ser(getattr(d.staff_ratio, lv))
                # the staff (教职工) norms become teacher posts by the level's share of teachers in
                # staff; 中职 1:20 is already a teacher ratio
                tps = getattr(d.teachers_per_staff, lv) if lv in STAFF_NORM_LEVELS else 1.0
                demand[:, :, k, a] = ratio_demand(total * share, ratio, tps)
    zero = np.zeros((D, T))
    band = {
        "grades_1_2": sum(classes["primary", a][:, :, 0:2].sum(axis=-1) for a in AREAS) + zero,
        "grades_3_6": sum(classes["primary", a][:, :, 2:6].sum(axis=-1) for a in AREAS) + zero,
        "junior": sum(classes["junior", a].sum(axis=-1) for a in AREAS) + zero,
        "senior": sum(classes["senior_general", a].sum(axis=-1) for a in AREAS) + zero,
    }
    subjects = {
        s: subject_demand(band, cfg.curriculum.periods[s], cfg.curriculum.load[s])
        for s in cfg.curriculum.periods
    }
    return demand, subjects, enrol


def elasticity_demand(enrolment: np.ndarray, base: np.ndarray, elasticity: float) -> np.ndarray:
    """Teachers needed when demand moves by ``elasticity`` × the % change in enrolment each year.

    enrolment: (D, T); base: (D,) or scalar teachers in the first year → (D, T).

    >>> elasticity_demand(np.array([[100.0, 90.0, 99.0]]), 10.0, 0.8).round(4).tolist()
    [[10.0, 9.2, 9.936]]
    """
    enrolment = np.asarray(enrolment, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(enrolment[:, :-1] > 0, enrolment[:, 1:] / enrolment[:, :-1] - 1.0, 0.0)
    factor = np.concatenate(
        [np.ones((enrolment.shape[0], 1)), np.cumprod(1.0 + elasticity * change, axis=1)], axis=1
    )
    return np.asarray(base, dtype=float).reshape(-1, 1) * factor
