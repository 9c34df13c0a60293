"""Benchmark of the engine: what each extractor costs per file, and what the engine adds.

Each measurement warms a fresh, temporary cache, so every producer really runs.
"""
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from .engine import run_files


def timed_warm(paths, signals, workers):
    """Wall seconds and per-producer seconds of warming ``paths`` into an empty cache.

    The first file of the set is warmed beforehand in this process, outside the clock, so
    one-off imports and model loading are not charged to the files.
    """
    with tempfile.TemporaryDirectory(prefix="meterlab-bench-") as cache_root:
        list(run_files(paths[:1], signals, 1, Path(cache_root) / "warmup", progress=False))
        start = time.perf_counter()
        results = list(run_files(paths, signals, workers, Path(cache_root) / "cache",
                                 progress=False))
        wall = time.perf_counter() - start
    per_producer = defaultdict(list)
    for result in results:
        for name, seconds in result.timings.items():
            per_producer[name].append(seconds)
    return wall, per_producer, results


def benchmark(paths, signals):
    """Per-producer cost per file (1 worker), overhead ratio and 2-worker speed-up."""
    wall_1, per_producer, results = timed_warm(paths, signals, 1)
    wall_2, _, _ = timed_warm(paths, signals, 2)
    n = len(paths)
    costs = {name: sum(values) / n for name, values in sorted(per_producer.items())}
    return {
        "files": n,
        "failed_files": sum(1 for result in results if result.error),
        "cost_per_file": costs,
        "sum_of_extractors_per_file": sum(costs.values()),
        "wall_per_file_1_worker": wall_1 / n,
        "overhead_ratio": wall_1 / max(sum(costs.values()) * n, 1e-9),
        "wall_per_file_2_workers": wall_2 / n,
        "speedup_2_workers": wall_1 / wall_2,
    }
