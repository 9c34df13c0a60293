"""Scoring: every signal's scores for every file, through the cache, in parallel.

Results come back in the order of the input files whatever the worker timing, so every
split, dataset and table built from them is deterministic.
"""
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .. import config
from .file_analysis import FileAnalysis, Unavailable
from .audio import AudioError
from .cache import Cache, StorageError
from .registry import SIGNALS, signal_module
from .run import map_files


@dataclass
class FileResult:
    """What the engine learnt about one file."""

    path: str
    #: Signal name -> scores over ``config.CANDIDATE_METERS``, for available signals.
    scores: dict = field(default_factory=dict)
    #: Signal name -> why it could not run on this file (a known, cached condition).
    unavailable: dict = field(default_factory=dict)
    #: Signal name -> unexpected error (not cached; retried next run).
    failed: dict = field(default_factory=dict)
    #: Why the whole file is unusable (bad audio), or ``None``.
    error: str = None
    #: Producer name -> seconds computing it (absent when it came from the cache).
    timings: dict = field(default_factory=dict)
    cache_stats: Counter = field(default_factory=Counter)
    #: Wall seconds the file took, cache look-ups and decoding included.
    seconds: float = None


def _validated_scores(module):
    def compute(analysis):
        scores = np.asarray(module.scores(analysis), dtype=np.float32)
        if scores.shape != (len(config.CANDIDATE_METERS),):
            raise ValueError(f"{module.__name__} returned scores of shape {scores.shape}")
        if not np.all(np.isfinite(scores)) or np.any(scores < 0):
            raise ValueError(f"{module.__name__} returned negative or non-finite scores")
        return {"scores": scores}

    return compute


def analyse_file(path, signals=SIGNALS, cache_root=config.CACHE_DIR):
    """Run ``signals`` on one file; never raises for a bad file or a failing signal."""
    start = time.perf_counter()
    result = FileResult(path=str(path))
    cache = Cache(cache_root)
    try:
        analysis = FileAnalysis(path, cache)
        for name in signals:
            module = signal_module(name)
            try:
                value = analysis.produce(module, f"signal-{name}", _validated_scores(module))
                result.scores[name] = value["scores"]
            except Unavailable as reason:
                result.unavailable[name] = str(reason)
            except (AudioError, StorageError):
                raise
            except Exception as error:  # a signal's bug must not stop the others
                result.failed[name] = f"{type(error).__name__}: {error}"
        result.timings = analysis.timings
    except AudioError as error:
        result.error = str(error)
    result.cache_stats = cache.stats
    result.seconds = time.perf_counter() - start
    return result


def _analyse_job(job):
    return analyse_file(*job)


def _lost_file(job, cause):
    """The result of a file whose worker died (or, on a Dask cluster, whose task raised):
    the file is reported, the run goes on."""
    return FileResult(path=str(job[0]), error=f"{job[0]}: {cause}")


def run_files(paths, signals=SIGNALS, workers=1, cache_root=config.CACHE_DIR,
              progress=True, description="analysing", scheduler=None):
    """Yield a :class:`FileResult` per path, in input order, using ``workers`` processes
    (or the Dask cluster at ``scheduler``)."""
    jobs = [(path, tuple(signals), cache_root) for path in paths]
    yield from map_files(_analyse_job, jobs, workers, progress, description, _lost_file,
                         scheduler)
