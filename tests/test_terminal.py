"""Terminal tables that fit: at 100 and 80 columns (``COLUMNS``, as when piped) no printed line is
wider than the terminal, no number is cut with "…", and numbers are in a planner's units."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
CELL = re.compile(r"[│┃]")


@pytest.fixture()
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def show(args, width: int) -> str:
    r = runner.invoke(app, args, env={"COLUMNS": str(width)})
    assert r.exit_code == 0, r.output
    return r.stdout


def cells(out: str) -> list[str]:
    """Every table cell of every row (text between the vertical borders)."""
    return [c.strip() for line in out.splitlines() if CELL.search(line) for c in CELL.split(line)[1:-1]]


def fits(out: str, width: int) -> None:
    wide = [line for line in out.splitlines() if cell_len(line) > width]
    assert not wide, "\n".join(wide)
    cut = [c for c in cells(out) if re.search(r"\d", c) and c.endswith("…")]
    assert not cut, cut
    assert "e+" not in out and "e-0" not in out and "True" not in out and "False" not in out


@pytest.mark.parametrize("width", [100, 80])
def test_targets_fit_and_show_the_numbers_whole(here, width):
    out = show(["targets", "baseline"], width)
    fits(out, width)
    assert "≥ 23,000" in out and "23,269" in out and "+269" in out  # 中职 target, value, margin
    assert "≥ 95.0%" in out and "-2.3pt" in out and "2023-2025" in out  # a rate; a rule's breaches
    assert "学前三" in out and "P(met)" not in out  # one draw: no probability


def test_targets_wide_shows_the_ids(here):
    out = show(["targets", "baseline", "--wide"], 200)
    assert "vocational-students-2025" in out and "first" in out


@pytest.mark.parametrize("width", [100, 80])
def test_compare_fits_in_compact_units(here, width):
    out = show(["compare", "baseline", "tegang-300"], width)
    fits(out, width)
    # people in 万, money in 亿 (元), the difference in teachers whole, rates in points
    for text in ("329.7万", "57.88亿", "+1.30亿", "+1,618", "0.0pt", "23,269"):
        assert text in out, text


def test_compare_three_scenarios_at_80_splits_instead_of_cutting(here):
    out = show(["compare", "baseline", "tegang-300", "no-tegang"], 80)
    fits(out, 80)
    assert "(1/2)" in out and "(2/2)" in out


@pytest.mark.parametrize("width", [100, 80])
def test_backtest_and_sweep_print_formatted_tables(here, width):
    out = show(["backtest"], width)
    fits(out, width)
    assert "66,000" in out and "92.5%" in out and "7.7%" in out
    out = show(["sweep", "baseline", "--lever", "teachers.tegang.hires=0:400:200"], width)
    fits(out, width)
    assert "hires=400" in out and "vocational-students-2025" in out and "✓" in out and "✗" in out


def test_run_key_table_fits(here):
    out = show(["run", "baseline", "--out", str(here / "r")], 100)
    fits(out, 100)
    assert "57.88亿" in out and "329.7万" in out


def test_progress_is_one_line_on_stderr_when_piped():
    from cli import _progress

    runner = CliRunner()

    def go():
        advance = _progress(5, 0)
        for _ in range(5):
            advance(1)

    import typer

    app_ = typer.Typer()
    app_.command()(go)
    r = runner.invoke(app_, [])
    assert r.exit_code == 0 and r.stderr.strip().startswith("done: 5 of 5 in"), r.stderr
