"""Rebuild the golden results the move-safety test compares against (tests/test_golden.py).

Run it only when a change of numbers is meant, and say why in the commit:
    .venv/bin/python tests/golden/make.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ruamel.yaml import YAML

from sim.core.paths import scenario_dir
from sim.run.simulate import prepare, run
from sim.schema.load import load

HERE = Path(__file__).resolve().parent

UNCERTAIN = """extends: {base}
name: unc
title: {{zh: 不确定性, en: Uncertain}}
draws: 12
uncertainty:
  population.births: {{dist: truncnorm, params: {{a: -2, b: 2, loc: 1.0, scale: 0.1}}, apply: scale}}
  population.net_migration: {{dist: uniform, params: {{loc: 0.6, scale: 0.8}}, apply: scale}}
  teachers.tegang.retention: {{dist: beta, params: {{a: 17, b: 3}}}}
  teachers.tegang.hires: {{dist: uniform, params: {{loc: 0.5, scale: 1.5}}, apply: scale}}
  finance.envelope_growth: {{dist: uniform, params: {{loc: 0.0, scale: 0.04}}, apply: scale}}
"""

CASES = {  # file stem → (scenario, draws, options)
    "baseline-des-3": ("baseline", 3, {"engine": "des"}),
    "backtest-2015-mc-50": ("backtest-2015", 50, None),
}


def uncertain_file(folder: Path) -> Path:
    p = folder / "unc.yaml"
    p.write_text(UNCERTAIN.format(base=scenario_dir() / "baseline.yaml"), encoding="utf-8")
    return p


def cases(tmp: Path) -> dict[str, tuple[str, int | None, dict | None]]:
    out = {p.stem: (p.stem, None, None) for p in sorted(scenario_dir().glob("*.yaml"))}
    out.update(CASES)
    out["unc-mc-12"] = (str(uncertain_file(tmp)), None, None)
    return out


def city_only(ref: str, draws: int | None = None, options: dict | None = None):
    """The scenario run as one city, its ``regions:`` section taken out: the results from before
    divisions existed (issue 14) must not move."""
    prep = prepare(ref, draws)
    prep.loaded.scenario = prep.scenario.model_copy(update={"regions": None})
    return run(prep, options)


def with_divisions(ref: str = "baseline"):
    """The baseline with its divisions: the city and each division's results, one array each."""
    prep = prepare(ref)
    from sim.run.simulate import simulate

    ctx = simulate(prep.scenario, prep.tables)
    out = dict(ctx.results)
    for k, v in ctx.regional.items():
        for r, name in enumerate(ctx.regions.names):
            out[f"{name}::{k}"] = v[:, r]
    return out


def main() -> None:
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    for stem, (ref, draws, options) in cases(tmp).items():
        res = city_only(ref, draws=draws, options=options)
        np.savez_compressed(HERE / f"{stem}.npz", **res.results)
    np.savez_compressed(HERE / "divisions" / "baseline.npz", **with_divisions("baseline"))
    for p in sorted(scenario_dir().glob("*.yaml")):
        with open(HERE / f"{p.stem}.resolved.yaml", "w", encoding="utf-8") as f:
            YAML(typ="safe", pure=True).dump(load(p.stem).resolved(), f)


if __name__ == "__main__":
    main()
