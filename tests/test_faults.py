"""Faults: two runs at once, SIGTERM, stale temporary folders, read-only and full output folders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.core.paths import scenario_dir
from sim.run.folders import STALE_SECONDS, new_folder, sweep_stale

EDUSIM = [sys.executable, "-m", "cli"]
BASE = scenario_dir() / "baseline.yaml"
MANY = f"""extends: {BASE}
name: many
title: {{zh: 多, en: Many}}
draws: 400000
uncertainty:
  population.births: {{dist: uniform, params: {{loc: 0.9, scale: 0.2}}, apply: scale}}
"""


def edusim(args, cwd, **kw):
    return subprocess.Popen(
        EDUSIM + args,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        **kw,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["run", "baseline", "--out", "o"],
        ["sweep", "baseline", "--lever", "teachers.tegang.hires=0:300:300", "--out", "o"],
    ],
)
def test_two_runs_started_together_both_finish_in_distinct_folders(tmp_path, args):
    procs = [edusim(args, tmp_path) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    folders = [p for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")]
    assert len(folders) == 3 and not list((tmp_path / "o").glob(".partial-*"))


@pytest.mark.slow
def test_sigterm_removes_the_temporary_folder(tmp_path):
    (tmp_path / "many.yaml").write_text(MANY, encoding="utf-8")
    p = edusim(["run", "many.yaml", "--out", "o"], tmp_path)
    deadline = time.time() + 60
    while time.time() < deadline and not list((tmp_path / "o").glob(".partial-*/results.parquet/part-*")):
        time.sleep(0.2)
    assert list((tmp_path / "o").glob(".partial-*")), "the run never started writing"
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert not list((tmp_path / "o").iterdir())


def test_stale_partial_folders_are_swept_with_a_note(tmp_path):
    old = tmp_path / ".partial-old"
    old.mkdir()
    (old / "results.parquet").write_bytes(b"x" * 100)
    young = tmp_path / ".partial-young"
    young.mkdir()
    past = time.time() - STALE_SECONDS - 60
    os.utime(old, (past, past))
    notes: list[str] = []
    with new_folder(tmp_path, "run", notes) as job:
        (job.tmp / "a").write_text("1")
    assert not old.exists() and young.exists() and (tmp_path / "run" / "a").is_file()
    assert len(notes) == 1 and ".partial-old" in notes[0]
    assert sweep_stale(tmp_path) == []


def test_failure_inside_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with new_folder(tmp_path, "run") as job:
            (job.tmp / "a").write_text("1")
            raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def _mount(where: Path, options: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0:
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    return r.returncode == 0


@pytest.mark.parametrize("options, needle", [("ro", "read-only"), ("size=200k", "No space left")])
def test_read_only_or_full_output_folder_is_exit_2(tmp_path, options, needle):
    from typer.testing import CliRunner

    from cli import app

    mnt = tmp_path / "mnt"
    if not _mount(mnt, options):
        pytest.skip("needs root to mount a tmpfs")
    try:
        if options == "ro":
            args = ["run", "baseline", "--out", str(mnt)]
        else:
            args = ["report", "baseline", "--out", str(mnt / "r.html")]
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2 and str(mnt) in r.output and "Traceback" not in r.output, r.output
        assert needle.lower() in r.output.lower(), r.output
        assert not [p for p in mnt.iterdir()]
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)
