"""Onset-strength envelope (spectral flux on a log-mel spectrogram) and RMS energy."""
import librosa
import numpy as np

from .. import config
from ..dsp.windows import windowed_frames

NEEDS = ("audio",)
LIBRARIES = ("librosa",)
HOP = 512


def _envelope_and_rms(y):
    """(frames, 2): onset strength and RMS, one frame per ``HOP`` samples."""
    envelope = librosa.onset.onset_strength(y=y, sr=config.SAMPLE_RATE, hop_length=HOP)
    rms = librosa.feature.rms(y=y, hop_length=HOP)[0]
    return np.stack([envelope, rms], axis=1)


def compute(analysis):
    frames = windowed_frames(_envelope_and_rms, analysis.audio(config.SAMPLE_RATE), HOP,
                             config.SAMPLE_RATE).astype(np.float32)
    return {"envelope": np.ascontiguousarray(frames[:, 0]),
            "rms": np.ascontiguousarray(frames[:, 1]), "fps": config.SAMPLE_RATE / HOP}
