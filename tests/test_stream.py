"""Streamed Monte Carlo runs: the same numbers whoever writes the parts, whatever the chunking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.run import stream
from sim.run.executors import auto_chunk, open_executor
from sim.run.simulate import prepare, simulate_draws
from sim.run.stream import part_files, read_columns, stream_draws, summarise


@pytest.fixture(scope="module")
def prep():
    return prepare("baseline", draws=23)


def _all(folder, prep):
    s = prep.scenario
    names = stream.variables_of(folder)
    return read_columns(folder, names, s.years)


def test_parts_hold_exactly_the_in_memory_draws(tmp_path, prep):
    got = stream_draws(prep, tmp_path, chunk_size=5)
    assert got.shared and got.rows == 23 * len(prep.scenario.years)
    assert [p.name for p in part_files(tmp_path)] == [f"part-{i:08d}.parquet" for i in (0, 5, 10, 15, 20)]
    direct, _ = simulate_draws(prep.scenario, prep.tables, 23, chunk_size=23)
    cols = _all(tmp_path, prep)
    assert set(cols) == set(direct)
    for k, v in direct.items():
        np.testing.assert_array_equal(cols[k], v, err_msg=k)
    assert not (tmp_path / stream.TOKEN).exists()  # the token does not outlive the run
    np.testing.assert_array_equal(got.draw_index, np.arange(23))
    assert set(got.drawn) == set(prep.scenario.uncertainty)


def test_a_worker_that_does_not_see_the_folder_returns_its_results(tmp_path, prep, monkeypatch):
    a = tmp_path / "a"
    stream_draws(prep, a, chunk_size=4)
    monkeypatch.setattr(stream, "_sees", lambda target: False)
    b = tmp_path / "b"
    got = stream_draws(prep, b, chunk_size=4)
    assert not got.shared
    ca, cb = _all(a, prep), _all(b, prep)
    for k in ca:
        np.testing.assert_array_equal(ca[k], cb[k], err_msg=k)


def test_a_folder_with_another_token_is_not_written_by_workers(tmp_path):
    (tmp_path / stream.TOKEN).write_text("abc", encoding="ascii")
    assert stream._sees((str(tmp_path), "abc"))
    assert not stream._sees((str(tmp_path), "abd"))
    assert not stream._sees((str(tmp_path / "elsewhere"), "abc"))


def test_the_summary_does_not_depend_on_the_group_size(tmp_path, prep, monkeypatch):
    stream_draws(prep, tmp_path, chunk_size=6)
    years = prep.scenario.years
    whole = summarise(tmp_path, years)
    monkeypatch.setattr(stream, "SUMMARY_BYTES", 1)  # one variable a group
    small = summarise(tmp_path, years)
    pd.testing.assert_frame_equal(whole, small)
    cols = _all(tmp_path, prep)
    row = whole[(whole.variable == "Enrolment|Primary") & (whole.year == 2030)].iloc[0]
    x = cols["Enrolment|Primary"][:, list(years).index(2030)]
    # the mean of a column of (draws, T) and of the same numbers alone may differ in the last bit
    assert row.q50 == np.median(x) and row["mean"] == pytest.approx(x.mean(), rel=1e-14)
    assert whole.attrs["largest"]["Enrolment|Primary"] == np.abs(cols["Enrolment|Primary"]).max()


@pytest.mark.slow
def test_pool_and_dask_write_the_same_parts_as_this_process(tmp_path, prep):
    serial = tmp_path / "serial"
    stream_draws(prep, serial, chunk_size=23)
    want = _all(serial, prep)
    want_summary = summarise(serial, prep.scenario.years)
    for name, kw in (("pool", {"workers": 2}), ("dask", {"workers": 2, "scheduler": "local"})):
        with open_executor(**kw) as ex:
            got = stream_draws(prep, tmp_path / name, executor=ex, chunk_size=4)
            assert got.shared and len(part_files(tmp_path / name)) == 6
            summary = summarise(tmp_path / name, prep.scenario.years, ex, on_workers=True)
        cols = _all(tmp_path / name, prep)
        for k in want:
            np.testing.assert_array_equal(cols[k], want[k], err_msg=f"{name}: {k}")
        pd.testing.assert_frame_equal(summary, want_summary)


def test_chunks_are_chosen_from_draws_workers_and_engine():
    assert auto_chunk(10_000, 1, "aggregate") == 500  # a chunk's arrays stay in cache
    assert auto_chunk(1_000, 2, "aggregate") == 125
    assert auto_chunk(150, 2, "aggregate") == 100  # below ~100 draws a chunk is mostly fixed cost
    assert auto_chunk(200, 2, "des") == 25  # a 200-draw DES run is split: 8 chunks
    assert auto_chunk(200, 1, "des") == 25
    assert auto_chunk(3, 4, "des") == 1
    assert auto_chunk(1, 1, "aggregate") == 100


def test_a_run_that_would_fill_the_disk_is_refused_before_it_starts(tmp_path, prep, monkeypatch):
    import shutil
    from collections import namedtuple

    from sim.core.errors import UserError

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 10**5, 10**5))
    with pytest.raises(UserError, match="GiB free"):
        stream_draws(prep, tmp_path / "run")
    assert not (tmp_path / "run").exists()
