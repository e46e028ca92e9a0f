"""A --scheduler that is not a Dask scheduler, and a cluster that loses all its workers: clear errors
within a bounded time, never a hang or a traceback."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from sim.run import executors
from sim.run.executors import ExecutorError, chunks, map_chunks, open_executor

pytestmark = pytest.mark.slow


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *a):
        pass


def test_an_http_server_is_not_a_dask_scheduler():
    server = HTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"tcp://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(ExecutorError, match="did not answer as a Dask scheduler|cannot reach"):
            with open_executor(scheduler=address):
                pass
    finally:
        server.shutdown()


def test_nothing_listening_is_refused_at_once():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nobody listens there
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        with open_executor(scheduler=f"tcp://127.0.0.1:{port}"):
            pass


def _slow(idx):
    import time

    time.sleep(0.5)
    return idx


def test_a_cluster_without_workers_fails_instead_of_hanging(monkeypatch):
    from distributed import Client, LocalCluster

    monkeypatch.setattr(executors, "DEAD_CLUSTER_TIMEOUT", 5)
    monkeypatch.setattr(executors, "POLL_SECONDS", 1.0)
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        ex = executors._DaskExecutor(client)
        cluster.scale(0)
        for _ in range(100):  # wait until the scheduler has no worker left
            if not client.scheduler_info(n_workers=-1)["workers"]:
                break
            time.sleep(0.1)
        with pytest.raises(ExecutorError, match="no worker"):
            map_chunks(_slow, chunks(40, 2), ex)
    finally:
        client.close()
        cluster.close()


def test_a_user_error_in_a_chunk_is_not_retried():
    from sim.core.errors import UserError

    calls = []

    def bad(idx):
        calls.append(int(idx[0]))
        raise UserError("bad input")

    with pytest.raises(UserError, match="bad input"):
        map_chunks(bad, chunks(4, 2), None)
    assert calls == [0]


def test_a_sink_error_stops_the_run_and_is_not_a_chunk_failure():
    def sink(i, value):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        map_chunks(lambda idx: idx * 2, chunks(6, 2), None, sink=sink)
    assert np.array_equal(chunks(3, 2)[1], [2])
