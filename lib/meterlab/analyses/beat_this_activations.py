"""Beat This!'s beat and downbeat activations (sigmoid of its logits) at 50 frames/s,
computed by :mod:`meterlab.thirdparty.beat_this`. The checkpoint is never downloaded:
without a local one the analysis is :class:`~meterlab.engine.file_analysis.Unavailable`.
"""
import os
from pathlib import Path

import numpy as np

from ..thirdparty import beat_this
from ..dsp.windows import windowed_frames
from ..engine.file_analysis import Unavailable

NEEDS = ("audio",)
LIBRARIES = ("beat-this", "torch")
FPS = 50
CHECKPOINT_ENV = "BEAT_THIS_CHECKPOINT"
#: Names ``beat_this.inference.load_checkpoint`` gives the official checkpoints in the
#: torch hub cache, best first.
HUB_CHECKPOINTS = ("beat_this-final0.ckpt", "beat_this-small0.ckpt")


def _hub_checkpoint_dir():
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints"


def model_file():
    """Path of the checkpoint in use: ``$BEAT_THIS_CHECKPOINT``, else the hub cache's."""
    if os.environ.get(CHECKPOINT_ENV):
        return Path(os.environ[CHECKPOINT_ENV])
    for name in HUB_CHECKPOINTS:
        path = _hub_checkpoint_dir() / name
        if path.is_file():
            return path
    return None


def _checkpoint_path():
    """The checkpoint to load; :class:`Unavailable` (cached per file) when there is none."""
    path = model_file()
    if path is None or not path.is_file():
        raise Unavailable(f"no Beat This! checkpoint: set {CHECKPOINT_ENV} or put "
                          f"{HUB_CHECKPOINTS[0]} in {_hub_checkpoint_dir()}")
    return path


def compute(analysis):
    path = _checkpoint_path()
    stat = path.stat()
    model = beat_this.load_model(str(path), stat.st_mtime_ns, stat.st_size)
    activations = windowed_frames(lambda segment: beat_this.activations(model, segment),
                                  analysis.audio(beat_this.SAMPLE_RATE), beat_this.HOP,
                                  beat_this.SAMPLE_RATE)
    return {"activations": activations.astype(np.float32), "fps": FPS}
