"""The model's stages, in the order they run, with what each needs and gives.

A stage is ``run(section, ctx) -> {variable: (D, T) array}``: it reads its own scenario
section (``scenario.<section>``; a stage whose section is null is skipped), the typed
outputs of earlier stages through ``ctx.need`` (or ``ctx.get`` for what it can do without),
and leaves its own with ``ctx.put``. ``varies`` lists the scenario paths the stage reads
through ``ctx.evaluate`` (``*`` matches one key), so an ``uncertainty:`` entry can vary them
draw by draw; any other path is refused when the scenario is validated.

Adding a stage: a schema module (``sim/schema/``), a stage module here, one line in
``STAGES`` and a catalogue file (``sim/core/variables/``).

>>> [s.name for s in STAGES]
['population', 'students', 'attainment', 'teachers', 'finance', 'places']
>>> can_vary("teachers.tegang.hires"), can_vary("teachers.hiring.max_hires")
(True, False)
>>> can_vary("population.migration_age_shift"), can_vary("students.transitions.vocational_share")
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ..core.context import Attainment, Population, StageContext, StudentFlows, TeacherSupply
from .attainment import attainment_stage
from .finance import finance_stage
from .places import places_stage
from .population import population_stage
from .students import student_stage
from .teachers import teacher_stage


@dataclass(frozen=True)
class Stage:
    name: str
    section: str  # the scenario key that configures it
    run: Callable[[Any, StageContext], dict]
    needs: tuple[type, ...] = ()  # outputs of earlier stages it cannot run without
    uses: tuple[type, ...] = ()  # outputs it uses when present
    gives: tuple[type, ...] = ()  # outputs it leaves for later stages
    varies: tuple[str, ...] = ()  # scenario paths that may be uncertain (fnmatch patterns)
    catalogue: str = ""  # its file in sim/core/variables/


STAGES: tuple[Stage, ...] = (
    Stage(
        "population",
        "population",
        population_stage,
        gives=(Population,),
        varies=(
            "population.births",
            "population.mortality_scale",
            "population.net_migration",
            "population.migration_age_shift",
        ),
        catalogue="population.csv",
    ),
    Stage(
        "students",
        "students",
        student_stage,
        needs=(Population,),
        gives=(StudentFlows,),
        varies=(
            "students.preschool.enrolment_rate.*",
            "students.primary_entry_rate",
            "students.flows.*.repetition",
            "students.flows.*.dropout",
            "students.flows.*.repetition.*",
            "students.flows.*.dropout.*",
            "students.transitions.*",
        ),
        catalogue="students.csv",
    ),
    Stage(
        "attainment",
        "attainment",
        attainment_stage,
        needs=(Population, StudentFlows),
        gives=(Attainment,),
        catalogue="attainment.csv",
    ),
    Stage(
        "teachers",
        "teachers",
        teacher_stage,
        needs=(StudentFlows,),
        gives=(TeacherSupply,),
        varies=("teachers.tegang.hires", "teachers.tegang.retention"),
        catalogue="teachers.csv",
    ),
    Stage(
        "finance",
        "finance",
        finance_stage,
        needs=(StudentFlows,),
        uses=(TeacherSupply,),
        varies=(
            "finance.price_index",
            "finance.pay.*",
            "finance.per_student.*",
            "finance.non_personnel_real_growth",
            "finance.pupils_per_teacher.*",
            "finance.township_subsidy_fallback",
            "finance.tegang.in_contract_fallback",
            "finance.tegang.pay",
            "finance.tegang.central_subsidy",
            "finance.training.*",
            "finance.envelope",
            "finance.envelope_growth",
            "finance.envelope_base_ratio",
            "finance.civil_servant_pay",
        ),
        catalogue="finance.csv",
    ),
    Stage(
        "places",
        "regions",
        places_stage,
        needs=(StudentFlows,),
        catalogue="places.csv",
    ),
)


def _check_order() -> None:
    """Every stage's needs are given by an earlier stage (checked once, at import)."""
    given: set[type] = set()
    for s in STAGES:
        missing = [t.__name__ for t in s.needs + s.uses if t not in given]
        if missing:
            raise RuntimeError(f"stage {s.name!r} needs {missing}, which no earlier stage gives")
        given.update(s.gives)


_check_order()


def can_vary(path: str) -> bool:
    """True when some stage reads ``path`` draw by draw (so it may carry an uncertainty)."""
    return any(fnmatchcase(path, pattern) for s in STAGES for pattern in s.varies)


def variable_paths() -> list[str]:
    """Every pattern of a path a stage reads draw by draw, for hints."""
    return [p for s in STAGES for p in s.varies]
