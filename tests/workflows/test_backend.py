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


def test_a_calibration_batch_on_dask_gives_the_local_likelihoods(cluster, tmp_path):
    """The calibration's likelihood batches (sim.workflows.calibration.study.Problem) run through the
    same path: on Dask they give the local log-likelihoods bit for bit."""
    from sim.workflows.calibration import spec as specs
    from sim.workflows.calibration import study as st
    from sim.workflows.calibration.prior import Prior

    path = tmp_path / "spec.yaml"
    path.write_text("parameters:\n  handover.intercept: {low: -6.0, high: -2.0, prior_sd: 1.0}\n"
                    "  intake.fill_share: {low: 0.5, high: 1.0, prior_beta: [8, 2]}\n"
                    "targets:\n  - {name: total, metric: summary.handed_over, observed: 30, "
                    "likelihood: negative_binomial, rounded: 5, at_week: 20}\n")
    z = np.array([[-4.0, 0.9], [-3.0, 0.7], [-5.0, 1.0]])
    out = []
    for extra in ([], DASK):
        base = small("run.replications=2", "run.chunk_size=1", "run.uncertainty=none", *extra)
        spec = specs.load(str(path), base, st.summary_columns(base))
        out.append(st.Problem(st.calibration_base(base, spec, 3), spec, Prior.of(spec)).log_likelihood(z, 0))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
