"""The variable catalogue: for every result variable its unit, Chinese and English label, description.

One CSV per stage in ``sim/core/variables/`` (columns variable, unit, zh, en, description).
A name ending in ``|*`` stands for a family (e.g. ``Check|*``). Read with the standard
library so that validating a scenario imports no table library.

>>> v = catalogue()["GER|Preschool"]
>>> v.unit, v.zh
('fraction', '学前三年毛入园率')
>>> label("Enrolment|Primary", "en"), unit("Enrolment|Primary")
('Primary pupils', 'persons')
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files


@dataclass(frozen=True)
class Variable:
    name: str
    unit: str
    zh: str
    en: str
    description: str


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Variable]:
    """Every catalogued variable by name; a name catalogued twice is an error."""
    out: dict[str, Variable] = {}
    folder = files("sim.core") / "variables"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".csv"):
            continue
        with entry.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                name = row["variable"]
                if name in out:
                    raise ValueError(f"variable catalogued twice: {name}")
                out[name] = Variable(name, row["unit"], row["zh"], row["en"], row["description"])
    return out


def entry(variable: str) -> Variable | None:
    """The catalogue row of a variable, or of the family (``A|*``) it belongs to."""
    cat = catalogue()
    if variable in cat:
        return cat[variable]
    parts = variable.split("|")
    for n in range(len(parts) - 1, 0, -1):
        family = "|".join(parts[:n]) + "|*"
        if family in cat:
            return cat[family]
    return None


def known(variable: str) -> bool:
    return entry(variable) is not None


def label(variable: str, lang: str = "zh") -> str:
    e = entry(variable)
    if e is None:
        return variable
    text = e.zh if lang == "zh" else e.en
    return text if variable == e.name else f"{text}: {variable.split('|', 1)[1]}"


def unit(variable: str) -> str:
    e = entry(variable)
    return e.unit if e is not None else ""


def names() -> list[str]:
    """Every catalogued name (families included), for did-you-mean hints."""
    return list(catalogue())
