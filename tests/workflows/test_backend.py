"""run.backend=dask: a run's blocks on a Dask cluster (here a LocalCluster of two worker processes)
give the same tables, bit for bit, as on this machine; so do per-replication values and the
sensitivity and calibration batches that go through the same path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.workflows import backend
from sim.workflows.simulate import simulate, simulate_sets
from tests.conftest import small

pytest.importorskip("distributed")

DASK = ["run.backend=dask", "run.cluster.workers=2"]


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster (two worker processes, no dashboard) for the module's tests."""
    client = backend.client(small(*DASK))
    yield client
    cluster = client.cluster
    client.close()
    cluster.close()
    backend._CLIENTS.clear()


def _tables(res) -> dict[str, pd.DataFrame]:
    return {"summary": res.summary, "weekly": res.weekly, "teams": res.teams, "citizens": res.citizens,
            "costs": res.costs}


def test_two_workers_give_the_local_tables(cluster):
    assert len(cluster.scheduler_info()["workers"]) == 2
    local = _tables(simulate(small("run.replications=4", "run.chunk_size=2")))
    dask = _tables(simulate(small("run.replications=4", "run.chunk_size=1", *DASK)))
    for name in local:
        pd.testing.assert_frame_equal(local[name], dask[name])


def test_parameter_sets_on_dask_give_the_local_results(cluster):
    sets = pd.DataFrame({"handover.intercept": [-4.0, -3.0, -5.0], "team.capacity": [10, 20, 30]})
    local = simulate_sets(small("run.replications=2", "run.chunk_size=4"), sets).summary
    dask = simulate_sets(small("run.replications=2", "run.chunk_size=1", *DASK), sets).summary
    pd.testing.assert_frame_equal(local, dask)
    assert np.array_equal(local.parameter_set, np.repeat([0, 1, 2], 2))
