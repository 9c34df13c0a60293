"""Warming: run every signal on every file once, and say what happened per signal."""
from collections import Counter, defaultdict

from .. import config
from .atomic import write_json
from .scoring import run_files

ERRORS_FILE = "errors.json"


def warm(entries, signals, workers=1, cache_root=config.CACHE_DIR, progress=True,
         scheduler=None):
    """Fill the cache for ``entries``; returns the engine's results in entry order."""
    paths = [entry.path for entry in entries]
    results = list(run_files(paths, signals, workers, cache_root, progress, "warm", scheduler))
    write_json(cache_root / ERRORS_FILE, errors_of(results))
    return results


def errors_of(results):
    """Bad files and failing signals, by path, for ``errors.json``."""
    errors = {}
    for result in results:
        if result.error:
            errors[result.path] = result.error
        elif result.failed:
            errors[result.path] = result.failed
    return errors


def signal_table(results, signals):
    """Rows ``[signal, computed, cached, unavailable, failed, s/file]`` for a warm report.

    ``s/file`` is the mean time a signal took where it was computed, its own code only
    (shared analyses have their own rows in :func:`analysis_table`).
    """
    counts = defaultdict(Counter)
    seconds = defaultdict(list)
    for result in results:
        if result.error:
            continue
        for name in signals:
            timed = result.timings.get(f"signal-{name}")
            if name in result.failed:
                counts[name]["failed"] += 1
            elif timed is not None:
                counts[name]["computed"] += 1
                seconds[name].append(timed)
            else:
                counts[name]["cached"] += 1
            if name in result.unavailable:
                counts[name]["unavailable"] += 1
    return [[name, counts[name]["computed"], counts[name]["cached"],
             counts[name]["unavailable"], counts[name]["failed"], _mean(seconds[name])]
            for name in signals]


def analysis_table(results):
    """Rows ``[shared analysis, computed, s/file]`` for what warm computed."""
    seconds = defaultdict(list)
    for result in results:
        for name, value in result.timings.items():
            if not name.startswith("signal-"):
                seconds[name].append(value)
    return [[name, len(values), _mean(values)] for name, values in sorted(seconds.items())]


def cache_totals(results):
    """Cache hits, misses, stale and unreadable entries over a run (all producers)."""
    totals = Counter()
    for result in results:
        totals.update(result.cache_stats)
    return totals


def _mean(values):
    return sum(values) / len(values) if values else None
