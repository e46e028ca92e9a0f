"""Where the shipped scenarios and data tables are: read through ``importlib.resources``.

``scenarios/`` and ``data/`` sit at the top of the source tree and are installed as the
packages ``sim.scenarios`` and ``sim.data`` (``pyproject.toml`` maps them), so a wheel
carries them and ``edusim run baseline`` works from any folder.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def scenario_dir() -> Path:
    """The folder of the shipped scenarios (``baseline.yaml`` and the alternatives)."""
    return Path(str(files("sim.scenarios")))


@cache
def data_dir() -> Path:
    """The folder of the shipped input tables (CSV)."""
    return Path(str(files("sim.data")))
