"""Per-file work on a Dask cluster, for collections that outgrow one machine.

``--scheduler tcp://host:8786`` sends the jobs to a running Dask scheduler (workers on
any number of machines); ``--scheduler local:N`` starts a ``LocalCluster`` of N worker
processes here. Either way :func:`map_on_cluster` keeps the contract of the local
process pool: results in input order, one thread per worker, a progress bar.

A job never stops the run. A task that raises, or that keeps losing its worker, becomes
``on_lost(job, cause)``. Worker loss policy: a job whose worker dies (killed, out of
memory, machine gone) is retried on another worker up to the scheduler's
``allowed-failures``; :data:`SETTINGS` allow one retry (so a file that kills every
worker it touches costs two workers, not four) and hand each worker one job at a time,
so a lost worker takes down no job but the one it ran.
"""
import re
from collections import deque
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import dask
import yaml
from distributed import CancelledError, Client, KilledWorker, LocalCluster, WorkerPlugin
from tqdm import tqdm

from .. import config

LOCAL_CLUSTER = re.compile(r"local:(\d+)")
#: Dask settings of local clusters, and for ``dask scheduler``/``dask worker`` (DASK_CONFIG).
SETTINGS = Path(__file__).with_name("dask.yaml")
#: Seconds to wait for a remote scheduler to answer.
CONNECT_TIMEOUT_S = 10


class ClusterError(Exception):
    """The cluster itself is unusable (bad address, unreachable, no workers, lost)."""


def local_workers(scheduler):
    """N for ``local:N``, ``None`` for a scheduler address; raises on ``local:`` typos."""
    if not scheduler.startswith("local"):
        return None
    match = LOCAL_CLUSTER.fullmatch(scheduler)
    if not match or int(match.group(1)) < 1:
        raise ClusterError(f"--scheduler {scheduler!r}: expected local:N with N >= 1 "
                           "or a scheduler address such as tcp://host:8786")
    return int(match.group(1))


def check_scheduler(scheduler):
    """Fail early, with the reason, when ``scheduler`` cannot run jobs (no workers yet)."""
    if local_workers(scheduler) is not None:
        return
    with _client(scheduler) as client:
        if not client.scheduler_info()["workers"]:
            raise ClusterError(f"no workers are connected to {scheduler}; start some with "
                               f"`dask worker {scheduler} --nthreads 1`")


class _WorkerSetup(WorkerPlugin):
    """Runs ``initializer`` (the engine's thread limits) in every worker, new ones too."""

    def __init__(self, initializer):
        self.initializer = initializer

    def setup(self, worker):
        self.initializer()


def _run_job(function, data_dir, job):
    """``function(job)`` on a worker that sees this run's data folder (models, cache)."""
    if config.DATA_DIR != data_dir:
        raise ClusterError(f"this worker's data folder is {config.DATA_DIR}, the run's is "
                           f"{data_dir}: start workers with METERLAB_DATA={data_dir}")
    return function(job)


def map_on_cluster(function, jobs, scheduler, on_lost=None, initializer=None,
                   progress=True, description=""):
    """Yield ``function(job)`` for every job, in input order, computed on ``scheduler``.

    ``on_lost(job, cause)`` makes the result of a job whose task raised or whose
    workers died; without it such a job raises here, as in the local pool.
    """
    bar = tqdm(total=len(jobs), desc=description, unit="file", disable=not progress)
    try:
        with _client(scheduler) as client:
            if initializer is not None:
                client.register_plugin(_WorkerSetup(initializer), name="meterlab-setup")
            pending = deque(zip(jobs, client.map(partial(_run_job, function, config.DATA_DIR),
                                                 jobs, pure=False)))
            while pending:
                job, future = pending.popleft()
                yield _result(job, future, on_lost, client)
                bar.update()
    finally:
        bar.close()


def _result(job, future, on_lost, client):
    try:
        return future.result()
    except CancelledError as error:
        raise ClusterError(f"lost the Dask scheduler ({client.scheduler.address}): "
                           f"{error}") from error
    except KilledWorker as error:
        if on_lost is None:
            raise
        return on_lost(job, f"worker lost: {error.allowed_failures + 1} workers died "
                               f"running it, the last {error.last_worker.address} "
                               "(out of memory or killed?)")
    except Exception as error:
        if on_lost is None:
            raise
        return on_lost(job, f"{type(error).__name__}: {error}")
    finally:
        future.release()


@contextmanager
def _client(scheduler):
    """A client of ``scheduler``, and the LocalCluster behind it for ``local:N``."""
    workers = local_workers(scheduler)
    if workers is not None:
        with local_cluster(workers) as cluster, Client(cluster, set_as_default=False) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, ValueError) as error:
        raise ClusterError(f"cannot reach the Dask scheduler {scheduler}: {error}") from error
    with client:
        yield client


def local_cluster(workers):
    """N single-threaded worker processes on loopback, with :data:`SETTINGS`.

    No memory cap, as in the local pool: Dask's default would pause or restart a worker
    at a share of this machine's memory.
    """
    settings = yaml.safe_load(SETTINGS.read_text())
    with dask.config.set(dask.config.merge(dask.config.config, settings)):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address=None, memory_limit=0)
