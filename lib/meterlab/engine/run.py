"""The one parallel runner every per-file step uses: warm, extract, eval, predict, the
dataset builders, the grid's folds, the bench.

Jobs run in local worker processes (:mod:`meterlab.engine.pool`) or on a Dask cluster
(:mod:`meterlab.engine.cluster`); either way results come back in input order, each
worker uses one thread, and a worker that dies is reported through ``on_lost``.
"""
import os
import warnings

from threadpoolctl import threadpool_limits
from tqdm import tqdm

from ..thirdparty import numba_cache
from .pool import ordered_map


def init_worker():
    """One BLAS/torch thread per worker: N workers then use N cores, not N x cores.

    Also silences madmom's warning about its own bundled GRU models, which it prints on
    every model load and which no user can act on, and makes numba's cache safe for
    workers compiling at once (:mod:`meterlab.thirdparty.numba_cache`).
    """
    numba_cache.serialise_cache_writes()
    warnings.filterwarnings("ignore", message="Please update your GRU models")
    os.environ["OMP_NUM_THREADS"] = "1"
    threadpool_limits(1)        # numpy's BLAS pool already exists: the variable is too late
    import torch

    torch.set_num_threads(1)


def map_files(function, jobs, workers=1, progress=True, description="", on_lost=None,
              scheduler=None, fresh=False):
    """Yield ``function(job)`` for every job, in input order, using ``workers`` processes.

    Workers are forked (models already loaded here are shared) and limited to one
    thread each; a progress bar counts finished jobs. A worker killed mid-job (memory,
    a signal) yields ``on_lost(job, cause)`` for it and is replaced (:mod:`meterlab.engine.pool`).
    With ``scheduler`` (an address or ``local:N``) the jobs run on a Dask cluster
    instead, where ``on_lost`` also stands in for a task that raised
    (:mod:`meterlab.engine.cluster`). ``fresh`` runs every job in a new interpreter of
    its own, even with one worker (see :func:`meterlab.engine.pool.ordered_map`).
    numba kernels that compile at import are compiled here first
    (:func:`meterlab.thirdparty.numba_cache.compile_before_forking`).
    """
    numba_cache.compile_before_forking()
    if scheduler is not None:
        from .cluster import map_on_cluster

        yield from map_on_cluster(function, jobs, scheduler, on_lost, init_worker,
                                  progress, description)
        return
    bar = tqdm(total=len(jobs), desc=description, unit="file", disable=not progress)
    try:
        if workers <= 1 and not fresh:
            init_worker()
            results = map(function, jobs)
        else:
            results = ordered_map(function, jobs, max(workers, 1), init_worker, on_lost,
                                  fresh)
        for result in results:
            yield result
            bar.update()
    finally:
        bar.close()
