"""Beat This! (the ``beat_this`` package) run without its torchaudio front end, in one place.

``beat_this.preprocessing`` and ``beat_this.inference`` import torchaudio, which has no
wheel for this torch; so the log-mel front end is computed here with the same
parameters, the model is built from a checkpoint as ``beat_this.inference.load_model``
does, and a file is predicted in overlapping chunks as ``beat_this.inference`` does.
Its activations are also turned into the columns madmom's downbeat DBN reads.
"""
import inspect
from functools import lru_cache

import numpy as np

#: The front end's parameters (``beat_this.preprocessing.LogMelSpect``).
SAMPLE_RATE = 22050
N_FFT = 1024
HOP = 441
N_MELS = 128
FMIN = 30.0
FMAX = 11000.0
LOG_MULTIPLIER = 1000.0

#: The model's training excerpt length in frames (``Spect2Frames`` uses the same).
CHUNK_FRAMES = 1500
#: Frames at each chunk edge whose predictions are discarded (the model never learnt
#: them, because of the max-pool in its loss); consecutive chunks overlap by this much.
BORDER_FRAMES = 6
#: Least probability of each class per frame: about the smallest madmom's own network
#: gives. An exact 0 makes the DBN's log-density -inf and can leave no finite path.
FLOOR = 1e-5


@lru_cache(maxsize=1)
def _mel_basis():
    import librosa

    return librosa.filters.mel(
        sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS,
        fmin=FMIN, fmax=FMAX, htk=False, norm=None,
    ).astype(np.float32)


def logmel(y):
    """Beat This!'s input features for mono audio at 22050 Hz, shape (frames, 128).

    ``beat_this.preprocessing`` computes them with torchaudio, which has no wheel for
    this torch. Same parameters here: periodic Hann window of 1024, hop 441, centred
    with reflect padding, magnitude scaled by 1/sqrt(1024), Slaney mel bands
    30-11000 Hz without area normalisation, then ``log1p(1000 * mel)``.
    """
    import torch

    wave = torch.as_tensor(np.asarray(y, dtype=np.float32))
    window = torch.hann_window(N_FFT, periodic=True)
    stft = torch.stft(
        wave, n_fft=N_FFT, hop_length=HOP, window=window,
        center=True, pad_mode="reflect", normalized=False, return_complex=True,
    )
    magnitude = stft.abs() / np.sqrt(N_FFT)
    mel = torch.as_tensor(_mel_basis()) @ magnitude
    return torch.log1p(LOG_MULTIPLIER * mel).T


@lru_cache(maxsize=2)
def load_model(path, modified_ns, size):
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


def chunk_starts(frames):
    """Start frames of overlapping chunks, as ``beat_this.inference.split_piece`` picks them.

    The first chunk starts ``BORDER_FRAMES`` before the piece (zero-padded) so that its
    discarded border is padding; the last is moved left to end with the piece.
    """
    step = CHUNK_FRAMES - 2 * BORDER_FRAMES
    starts = np.arange(-BORDER_FRAMES, frames - BORDER_FRAMES, step)
    if frames > step:
        starts[-1] = frames - (CHUNK_FRAMES - BORDER_FRAMES)
    return starts


def logits(model, spect):
    """Logits (frames, 2) [beat, downbeat] for a (frames, 128) spectrogram, in chunks.

    Each chunk's borders are dropped and earlier chunks win where chunks overlap
    (``overlap_mode="keep_first"``), so memory stays bounded whatever the file length.
    """
    import torch
    import torch.nn.functional as F

    frames = len(spect)
    logits = torch.full((frames, 2), -1000.0)
    for start in chunk_starts(frames)[::-1]:
        lo, hi = max(start, 0), min(start + CHUNK_FRAMES, frames)
        pad_right = max(0, min(BORDER_FRAMES, start + CHUNK_FRAMES - frames))
        chunk = F.pad(spect[lo:hi], (0, 0, lo - start, pad_right))
        out = model(chunk.unsqueeze(0))
        chunk_logits = torch.stack([out["beat"][0], out["downbeat"][0]], dim=1)
        kept = slice(start + BORDER_FRAMES, start + len(chunk) - BORDER_FRAMES)
        logits[kept] = chunk_logits[BORDER_FRAMES:-BORDER_FRAMES]
    return logits


def activations(model, y):
    """Sigmoid beat and downbeat activations (frames, 2) at 50 frames/s for mono samples
    at :data:`SAMPLE_RATE`."""
    import torch

    with torch.inference_mode():
        return torch.sigmoid(logits(model, logmel(y))).numpy()


def madmom_columns(activations):
    """[beat, downbeat] -> [beat-but-not-downbeat, downbeat], as madmom's DBN expects.

    Beat This!'s beat activation includes downbeats (its head adds the downbeat logit
    to the beat logit) and its two sigmoids saturate at 0 and 1; madmom's columns are
    two classes of a softmax over beat, downbeat and no beat, all strictly positive.
    So the three classes are formed, floored at ``FLOOR`` and renormalised.
    """
    beat, downbeat = activations[:, 0], activations[:, 1]
    classes = np.stack([np.clip(beat - downbeat, 0.0, 1.0), downbeat,
                        1.0 - np.maximum(beat, downbeat)], axis=1)
    floored = (np.clip(classes, 0.0, 1.0) + FLOOR) / (1.0 + 3 * FLOOR)
    return floored[:, :2]
