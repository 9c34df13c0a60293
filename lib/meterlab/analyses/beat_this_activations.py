"""Beat This!'s beat and downbeat activations (sigmoid of its logits) at 50 frames/s.

``beat_this.inference`` imports torchaudio, which has no wheel for this torch, so the
model is built here from the checkpoint as ``beat_this.inference.load_model`` does and
fed :func:`meterlab.thirdparty.compat.beat_this_logmel`. The checkpoint is never downloaded: without
a local one the analysis is :class:`~meterlab.engine.file_analysis.Unavailable`.
"""
import inspect
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..thirdparty import compat
from ..dsp.windows import windowed_frames
from ..engine.file_analysis import Unavailable

NEEDS = ("audio",)
LIBRARIES = ("beat-this", "torch")
FPS = 50
CHECKPOINT_ENV = "BEAT_THIS_CHECKPOINT"
#: Names ``beat_this.inference.load_checkpoint`` gives the official checkpoints in the
#: torch hub cache, best first.
HUB_CHECKPOINTS = ("beat_this-final0.ckpt", "beat_this-small0.ckpt")
#: The model's training excerpt length in frames (``Spect2Frames`` uses the same).
CHUNK_FRAMES = 1500
#: Frames at each chunk edge whose predictions are discarded (the model never learnt
#: them, because of the max-pool in its loss); consecutive chunks overlap by this much.
BORDER_FRAMES = 6


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


@lru_cache(maxsize=2)
def _model(path, modified_ns, size):
    """BeatThis from a checkpoint, once per process and checkpoint version.

    ``modified_ns`` and ``size`` are only part of the cache key: a checkpoint replaced
    at the same path is loaded again.
    """
    import torch
    from beat_this.model.beat_tracker import BeatThis

    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    accepted = set(inspect.signature(BeatThis).parameters)
    hparams = {k: v for k, v in checkpoint["hyper_parameters"].items() if k in accepted}
    model = BeatThis(**hparams)
    model.load_state_dict({key.removeprefix("model."): value
                           for key, value in checkpoint["state_dict"].items()})
    return model.eval()


def _chunk_starts(frames):
    """Start frames of overlapping chunks, as ``beat_this.inference.split_piece`` picks them.

    The first chunk starts ``BORDER_FRAMES`` before the piece (zero-padded) so that its
    discarded border is padding; the last is moved left to end with the piece.
    """
    step = CHUNK_FRAMES - 2 * BORDER_FRAMES
    starts = np.arange(-BORDER_FRAMES, frames - BORDER_FRAMES, step)
    if frames > step:
        starts[-1] = frames - (CHUNK_FRAMES - BORDER_FRAMES)
    return starts


def _predict(model, spect):
    """Logits (frames, 2) [beat, downbeat] for a (frames, 128) spectrogram, in chunks.

    Each chunk's borders are dropped and earlier chunks win where chunks overlap
    (``overlap_mode="keep_first"``), so memory stays bounded whatever the file length.
    """
    import torch
    import torch.nn.functional as F

    frames = len(spect)
    logits = torch.full((frames, 2), -1000.0)
    for start in _chunk_starts(frames)[::-1]:
        lo, hi = max(start, 0), min(start + CHUNK_FRAMES, frames)
        pad_right = max(0, min(BORDER_FRAMES, start + CHUNK_FRAMES - frames))
        chunk = F.pad(spect[lo:hi], (0, 0, lo - start, pad_right))
        out = model(chunk.unsqueeze(0))
        chunk_logits = torch.stack([out["beat"][0], out["downbeat"][0]], dim=1)
        kept = slice(start + BORDER_FRAMES, start + len(chunk) - BORDER_FRAMES)
        logits[kept] = chunk_logits[BORDER_FRAMES:-BORDER_FRAMES]
    return logits


def compute(analysis):
    import torch

    path = _checkpoint_path()
    stat = path.stat()
    model = _model(str(path), stat.st_mtime_ns, stat.st_size)

    def predict(segment):
        with torch.inference_mode():
            return torch.sigmoid(_predict(model, compat.beat_this_logmel(segment))).numpy()

    activations = windowed_frames(predict, analysis.audio(compat.BEAT_THIS_SAMPLE_RATE),
                                  compat.BEAT_THIS_HOP, compat.BEAT_THIS_SAMPLE_RATE)
    return {"activations": activations.astype(np.float32), "fps": FPS}
