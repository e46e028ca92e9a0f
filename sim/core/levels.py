"""The one table of education levels; every other list of levels is derived from it.

A level has a name (the scenario key), an English label (the IAMC name part), a Chinese
label, its grades and entry age, the attainment category its graduates reach (and held
before), the levels its graduates may enter, and which parts of the model it has:
``flow`` (pupils move grade by grade; preschool is enrolment rates × population instead),
``teachers`` and ``money`` blocks, and ``compulsory`` (the 9 years where 特岗 and 公费师范生
teachers are placed).

>>> [lv.name for lv in FLOW_LEVELS]
['primary', 'junior', 'senior_general', 'secondary_vocational', 'higher_vocational', 'undergraduate']
>>> N_GRADES, FIRST.tolist(), LAST.tolist()
(22, [0, 6, 9, 12, 15, 18], [5, 8, 11, 14, 17, 21])
>>> TEACHER_LEVELS, LABEL["senior_general"]
(('preschool', 'primary', 'junior', 'senior_general', 'secondary_vocational'), 'Senior general')
>>> grade_slice("junior")
slice(6, 9, None)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Level:
    name: str
    en: str  # label in result variables: Enrolment|<en>
    zh: str
    grades: int
    entry_age: int
    attained: str | None  # attainment category a graduate reaches (None: no attainment move)
    before: str | None  # the category a graduate held before
    next: tuple[str, ...] = ()  # levels a graduate may enter
    flow: bool = True  # grade-by-grade flows (False: enrolment rates × population)
    teachers: bool = False  # has a teacher block (demand, supply)
    money: bool = False  # has a money block (per-student spending, pay)
    compulsory: bool = False  # inside the nine compulsory years


LEVELS: tuple[Level, ...] = (
    Level("preschool", "Preschool", "学前教育", 3, 3, None, None, flow=False, teachers=True, money=True),
    Level(
        "primary",
        "Primary",
        "小学",
        6,
        6,
        "primary",
        "none",
        ("junior",),
        teachers=True,
        money=True,
        compulsory=True,
    ),
    Level(
        "junior",
        "Junior",
        "初中",
        3,
        12,
        "junior",
        "primary",
        ("senior_general", "secondary_vocational"),
        teachers=True,
        money=True,
        compulsory=True,
    ),
    Level(
        "senior_general",
        "Senior general",
        "普通高中",
        3,
        15,
        "senior",
        "junior",
        ("higher_vocational", "undergraduate"),
        teachers=True,
        money=True,
    ),
    Level(
        "secondary_vocational",
        "Secondary vocational",
        "中等职业教育",
        3,
        15,
        "senior",
        "junior",
        ("higher_vocational",),
        teachers=True,
        money=True,
    ),
    # 专升本 (higher vocational → undergraduate): a flow the schema accepts, 0 in the baseline
    # (its graduates' attainment would be counted twice, scenarios/baseline.yaml)
    Level(
        "higher_vocational",
        "Higher vocational",
        "高职（专科）",
        3,
        18,
        "junior_college",
        "senior",
        ("undergraduate",),
    ),
    Level("undergraduate", "Undergraduate", "本科", 4, 18, "bachelor", "senior"),
)
BY_NAME = {lv.name: lv for lv in LEVELS}
LABEL = {lv.name: lv.en for lv in LEVELS}
LABEL_ZH = {lv.name: lv.zh for lv in LEVELS}

# ------------------------------------------------------------------ the grade-flow layout
FLOW_LEVELS = tuple(lv for lv in LEVELS if lv.flow)
FLOW_INDEX = {lv.name: k for k, lv in enumerate(FLOW_LEVELS)}
K = len(FLOW_LEVELS)
N_GRADES = sum(lv.grades for lv in FLOW_LEVELS)
FIRST = np.cumsum([0] + [lv.grades for lv in FLOW_LEVELS[:-1]])
LAST = FIRST + np.array([lv.grades for lv in FLOW_LEVELS]) - 1
GRADE_LEVEL = np.repeat(np.arange(K), [lv.grades for lv in FLOW_LEVELS])
GRADE_AGE = np.concatenate([lv.entry_age + np.arange(lv.grades) for lv in FLOW_LEVELS])
N_LAGS = 3  # pupils 0, 1 and 2-or-more years behind the official age
# (from, to) flow-level index pairs that a transition can join
FLOW_PAIRS = frozenset((FLOW_INDEX[lv.name], FLOW_INDEX[n]) for lv in FLOW_LEVELS for n in lv.next)

# ------------------------------------------------------------------ teachers and money
TEACHER_LEVELS = tuple(lv.name for lv in LEVELS if lv.teachers)
MONEY_LEVELS = tuple(lv.name for lv in LEVELS if lv.money)
COMPULSORY = tuple(lv.name for lv in LEVELS if lv.compulsory)

PRESCHOOL_AGES = (3, 4, 5)

# ------------------------------------------------------------------ attainment
ATTAINMENT = ("none", "primary", "junior", "senior", "junior_college", "bachelor")
ATTAINMENT_ZH = {
    "none": "未上学",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中（含中职）",
    "junior_college": "大专",
    "bachelor": "本科及以上",
}


def grade_slice(level: str) -> slice:
    """The grades of a flow level in the grade axis of the student model."""
    k = FLOW_INDEX[level]
    return slice(int(FIRST[k]), int(LAST[k]) + 1)


def official_ages(level: str) -> tuple[int, int]:
    """First and last official age of a level (e.g. primary 6-11)."""
    lv = BY_NAME[level]
    return lv.entry_age, lv.entry_age + lv.grades - 1


def upper_secondary() -> tuple[str, ...]:
    """The levels of 高中阶段教育 (upper secondary): those entered at 15."""
    return tuple(lv.name for lv in LEVELS if lv.entry_age == 15)
