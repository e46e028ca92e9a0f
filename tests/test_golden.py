"""Results are unchanged by a refactoring: every shipped scenario (and a DES, a Monte Carlo and an
uncertain run) against the results saved before it, bit for bit. Variables added since
(``Check|…``) are allowed; none may go missing or move. Rebuild with tests/golden/make.py
only when numbers change on purpose."""

import numpy as np
import pytest
from golden.make import HERE, cases, city_only, with_divisions
from ruamel.yaml import YAML

from sim.core.paths import scenario_dir
from sim.schema.load import load


@pytest.fixture(scope="module")
def all_cases(tmp_path_factory):
    return cases(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("stem", sorted(p.stem for p in HERE.glob("*.npz")))
def test_results_bit_for_bit(stem, all_cases):
    ref, draws, options = all_cases[stem]
    res = city_only(ref, draws=draws, options=options)
    saved = np.load(HERE / f"{stem}.npz")
    missing = sorted(set(saved.files) - set(res.results))
    assert not missing, f"variables gone: {missing[:5]}"
    differ = [k for k in saved.files if not np.array_equal(saved[k], res.results[k], equal_nan=True)]
    assert not differ, f"{len(differ)} variables changed, e.g. {differ[:5]}"


def test_divisions_bit_for_bit():
    """The baseline by division (saved when divisions were added): the city and every division."""
    now = with_divisions("baseline")
    saved = np.load(HERE / "divisions" / "baseline.npz")
    missing = sorted(set(saved.files) - set(now))
    assert not missing, f"variables gone: {missing[:5]}"
    differ = [k for k in saved.files if not np.array_equal(saved[k], now[k], equal_nan=True)]
    assert not differ, f"{len(differ)} variables changed, e.g. {differ[:5]}"


@pytest.mark.parametrize("name", sorted(p.stem for p in scenario_dir().glob("*.yaml")))
def test_resolved_scenarios_unchanged(name):
    saved = YAML(typ="safe", pure=True).load((HERE / f"{name}.resolved.yaml").read_text(encoding="utf-8"))
    now = YAML(typ="safe", pure=True).load(_dump(load(name).resolved()))
    assert now == saved


def _dump(data) -> str:
    import io

    buf = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, buf)
    return buf.getvalue()
