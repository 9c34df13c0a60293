"""Benchmark of the engine: what each extractor costs per file, what the engine adds, and
how cost and memory grow with the input's length.

Each measurement warms a fresh, temporary cache, so every producer really runs.
"""
import itertools
import resource
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile as sf

from .. import config
from ..thirdparty import compat
from ..engine.audio import load_audio
from ..engine.run import map_files
from ..engine.scoring import run_files


def timed_warm(paths, signals, workers, scheduler=None):
    """Wall seconds and per-producer seconds of warming ``paths`` into an empty cache.

    The first file of the set is warmed beforehand in this process, outside the clock, so
    one-off imports and model loading are not charged to the files.
    """
    with tempfile.TemporaryDirectory(prefix="meterlab-bench-") as cache_root:
        list(run_files(paths[:1], signals, 1, Path(cache_root) / "warmup", progress=False))
        start = time.perf_counter()
        results = list(run_files(paths, signals, workers, Path(cache_root) / "cache",
                                 progress=False, scheduler=scheduler))
        wall = time.perf_counter() - start
    per_producer = defaultdict(list)
    for result in results:
        for name, seconds in result.timings.items():
            per_producer[name].append(seconds)
    return wall, per_producer, results


#: The producers that run the trained tracker for the signals (the shared ``beats`` track
#: its activations as madmom's were tracked before, at the same cost).
TRACKER_PRODUCERS = ("tracker_activations", "signal-tracker")


@contextmanager
def madmoms_own_lstm():
    """madmom's own LSTM loop while inside: :mod:`meterlab.thirdparty.madmom_speedups`
    replaces it in every process that reads madmom, and keeps it as ``madmom_original``.
    (The swap lives here, not there: that module's code is in every signal's cache version.)"""
    compat.ensure()
    from madmom.ml.nn.layers import LSTMLayer

    fast = LSTMLayer.activate
    LSTMLayer.activate = fast.madmom_original
    try:
        yield
    finally:
        LSTMLayer.activate = fast


def stock_madmom_seconds(paths):
    """Seconds per file of what a user would otherwise run: madmom's RNNDownBeatProcessor
    and DBNDownBeatTrackingProcessor over the default classes, on the decoded audio (the
    first file once beforehand, outside the clock, as in :func:`timed_warm`)."""
    compat.ensure()
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    network = RNNDownBeatProcessor()
    tracker = DBNDownBeatTrackingProcessor(beats_per_bar=list(config.DEFAULT_CLASSES), fps=100)
    signals = [compat.madmom_signal(load_audio(path, config.MADMOM_SAMPLE_RATE),
                                    config.MADMOM_SAMPLE_RATE) for path in paths]
    with madmoms_own_lstm():
        tracker(network(signals[0]))
        start = time.perf_counter()
        for signal in signals:
            tracker(network(signal))
        return (time.perf_counter() - start) / len(paths)


def benchmark(paths, signals, workers=2, scheduler=None):
    """Per-producer cost per file (1 worker), overhead ratio, the speed-up of ``workers``
    workers (or of the Dask cluster at ``scheduler``), and the cold analysis and the
    trained tracker's share of it against stock madmom's downbeat tracking."""
    wall_1, per_producer, results = timed_warm(paths, signals, 1)
    wall_2, _, _ = timed_warm(paths, signals, workers, scheduler)
    n = len(paths)
    costs = {name: sum(values) / n for name, values in sorted(per_producer.items())}
    tracker = sum(costs.get(name, 0.0) for name in TRACKER_PRODUCERS)
    stock = stock_madmom_seconds(paths)
    return {
        "files": n,
        "failed_files": sum(1 for result in results if result.error),
        "cost_per_file": costs,
        "sum_of_extractors_per_file": sum(costs.values()),
        "wall_per_file_1_worker": wall_1 / n,
        "overhead_ratio": wall_1 / max(sum(costs.values()) * n, 1e-9),
        "wall_per_file_parallel": wall_2 / n,
        "speedup": wall_1 / wall_2,
        "stock_madmom_per_file": stock,
        "cold_vs_stock_madmom": wall_1 / n / stock,
        "tracker_per_file": tracker,
        "tracker_share": tracker / max(sum(costs.values()) - tracker, 1e-9),
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


def _measure_length(job):
    """Warm one short clip (model loading, compilation), then time ``path`` alone into an
    empty cache; its timings and this interpreter's peak RSS."""
    path, warmup_path, signals = job
    with tempfile.TemporaryDirectory(prefix="meterlab-bench-") as cache_root:
        list(run_files([warmup_path], signals, 1, Path(cache_root) / "warmup", progress=False))
        start = time.perf_counter()
        result, = run_files([path], signals, 1, Path(cache_root) / "cache", progress=False)
        wall = time.perf_counter() - start
    return {"wall": wall, "timings": result.timings, "error": result.error,
            "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb():
    """This interpreter's peak resident memory, MB.

    On Linux, the high-water mark of this process image (``VmHWM``): ``ru_maxrss`` survives
    ``execve``, so a spawned interpreter would report its parent's peak (the bench's own
    1.3 GB, alike for every input length). Elsewhere ``ru_maxrss`` (bytes on macOS)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2 ** 20
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(kilobytes) / 1024


#: Input lengths of the length table: a clip, a song, a long piece, a whole recording.
LENGTHS_S = (20, 180, 600, 3600)


def length_scaling(paths, signals, lengths_s=LENGTHS_S):
    """Per input length: wall seconds, seconds per minute of audio for each producer,
    and the worker's peak RSS; each length in a fresh interpreter of its own, one at a
    time, so neither memory nor time is shared."""
    rows = {}
    with tempfile.TemporaryDirectory(prefix="meterlab-bench-long-") as folder:
        jobs = [(long_input(paths, seconds, Path(folder) / f"{seconds}s.flac"), paths[0],
                 tuple(signals)) for seconds in lengths_s]
        measured = map_files(_measure_length, jobs, 1, False, fresh=True)
        for seconds, measurement in zip(lengths_s, measured):
            minutes = seconds / 60
            rows[seconds] = {
                "wall": measurement["wall"], "peak_rss_mb": measurement["peak_rss_mb"],
                "error": measurement["error"],
                "per_minute": {name: value / minutes
                               for name, value in sorted(measurement["timings"].items())},
            }
    return rows
