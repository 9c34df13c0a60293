"""The Dask path: same results as the local pool, and failures reported, never fatal."""
import os
import signal
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from meterlab.engine import cluster
from meterlab.learn.arbiter import VoteArbiter
from meterlab.data.build.corpus import build_corpus
from meterlab.data.datasets import DatasetConfig
from meterlab.engine.run import map_files
from meterlab.evaluate.evaluation import evaluate
from meterlab.learn.extract import score_table
from meterlab.engine.warm import warm


def _job(name):
    """Cheap jobs with known outcomes; runs in the Dask workers."""
    if name == "raise":
        raise ValueError("no good")
    if name == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if name == "setup":          # what the engine's worker initializer does
        import torch

        quiet_madmom = any(message is not None and message.pattern.startswith("Please update")
                           for _, message, *_ in warnings.filters)
        return (torch.get_num_threads(), max(pool["num_threads"] for pool in threadpool_info()),
                quiet_madmom)
    return name.upper()


def _failed(job, cause):
    return f"failed {job}: {cause}"


@pytest.mark.slow
def test_failing_and_killing_jobs_are_reported_and_the_run_goes_on():
    jobs = ["a", "raise", "b", "kill", "setup", "c"]
    results = list(map_files(_job, jobs, scheduler="local:2", progress=False,
                             on_lost=_failed))
    assert results[0] == "A" and results[2] == "B" and results[5] == "C"
    assert results[1] == "failed raise: ValueError: no good"
    assert results[3].startswith("failed kill: worker lost: 2 workers died running it")
    assert results[4] == (1, 1, True)    # the engine's worker setup, as in the local pool


def test_a_worker_seeing_another_data_folder_refuses_the_job(tmp_path):
    with pytest.raises(cluster.ClusterError, match="METERLAB_DATA="):
        cluster._run_job(_job, tmp_path / "elsewhere", "a")


@pytest.mark.parametrize("scheduler", ["local:0", "local:two", "tcp://127.0.0.1:1"])
def test_unusable_scheduler_is_refused_with_the_reason(scheduler, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(cluster.ClusterError, match="local:N|cannot reach"):
        cluster.check_scheduler(scheduler)


def _identical_tables(first, second):
    return (first.fingerprint() == second.fingerprint()
            and first.scores.tobytes() == second.scores.tobytes()
            and first.available.tobytes() == second.available.tobytes())


def _cache_entries(root):
    return {path.relative_to(root): path.read_bytes() for path in sorted(root.rglob("*.npz"))}


@pytest.mark.slow
def test_local_cluster_gives_the_local_pools_results(tmp_path, shipped_models):
    """Real signals on a few corpus clips: caches, arbiter dataset and eval metrics agree
    byte for byte between 2 local processes and a LocalCluster of 2 Dask workers (reached
    by its address, as a cluster on other machines would be)."""
    build_corpus(tmp_path / "corpus", n_per_class=3, duration_s=4.0, classes=(3, 4))
    entries = DatasetConfig("corpus", tmp_path / "corpus").load("all", False, 0).entries
    signals = ("autocorr", "hcdf", "onset_mlp")     # onset_mlp: the shipped model
    outcomes = {}
    with cluster.local_cluster(2) as dask_cluster:
        for name, where in [("pool", {"workers": 2}),
                            ("dask", {"scheduler": dask_cluster.scheduler_address})]:
            cache_root = tmp_path / name
            warm(entries, signals, cache_root=cache_root, progress=False, **where)
            extraction = score_table(entries, signals, cache_root=cache_root, progress=False,
                                     **where)
            run = evaluate(entries, VoteArbiter(signals), cache_root=cache_root,
                           progress=False, **where)
            outcomes[name] = _cache_entries(cache_root), extraction, run
    (pool_cache, pool_table, pool_run), (dask_cache, dask_table, dask_run) = outcomes.values()
    assert len(pool_cache) >= len(entries) * len(signals) and pool_cache == dask_cache
    assert _identical_tables(pool_table.table, dask_table.table)
    assert pool_table.table.available.any() and not dask_table.problems
    assert pool_run.metrics == dask_run.metrics and pool_run.files == dask_run.files
    assert np.isfinite(pool_run.metrics["accuracy"])
