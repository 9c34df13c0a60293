"""Benchmark of the engine: what each extractor costs per file, what the engine adds, and
how cost and memory grow with the input's length.

Each measurement warms a fresh, temporary cache, so every producer really runs.
"""
import itertools
import resource
import tempfile
import time
from collections import defaultdict
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import soundfile as sf

from . import config
from .audio import load_audio
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


def long_input(paths, seconds, destination):
    """A ``seconds``-long FLAC at ``destination`` made of the clips at ``paths`` end to end
    (repeated as needed): a whole-song-length input from any dataset."""
    clips, total = [], 0
    for path in itertools.cycle(paths):
        clips.append(load_audio(path, config.SAMPLE_RATE))
        total += len(clips[-1])
        if total >= seconds * config.SAMPLE_RATE:
            break
    y = np.concatenate(clips)[:int(seconds * config.SAMPLE_RATE)]
    sf.write(destination, y, config.SAMPLE_RATE)
    return destination


def _measure_length(path, warmup_path, signals, report):
    """In a fresh interpreter: warm one short clip (model loading, compilation), then
    time ``path`` alone into an empty cache; send its timings and the peak RSS."""
    with tempfile.TemporaryDirectory(prefix="meterlab-bench-") as cache_root:
        list(run_files([warmup_path], signals, 1, Path(cache_root) / "warmup", progress=False))
        start = time.perf_counter()
        result, = run_files([path], signals, 1, Path(cache_root) / "cache", progress=False)
        wall = time.perf_counter() - start
    report.send({"wall": wall, "timings": result.timings, "error": result.error,
                 "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


#: Input lengths of the length table: a clip, a song, a long piece, a whole recording.
LENGTHS_S = (20, 180, 600, 3600)


def length_scaling(paths, signals, lengths_s=LENGTHS_S):
    """Per input length: wall seconds, seconds per minute of audio for each producer,
    and the worker's peak RSS; each length in its own fresh process."""
    context = get_context("spawn")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="meterlab-bench-long-") as folder:
        for seconds in lengths_s:
            path = long_input(paths, seconds, Path(folder) / f"{seconds}s.flac")
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_measure_length,
                                      args=(path, paths[0], tuple(signals), send))
            process.start()
            measured = receive.recv()
            process.join()
            minutes = seconds / 60
            rows[seconds] = {
                "wall": measured["wall"], "peak_rss_mb": measured["peak_rss_mb"],
                "error": measured["error"],
                "per_minute": {name: value / minutes
                               for name, value in sorted(measured["timings"].items())},
            }
    return rows
