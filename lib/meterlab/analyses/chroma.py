"""Chroma (12 pitch classes per frame), shared by the harmony-aware signals.

Long files are processed in windows (:mod:`meterlab.dsp.windows`), each estimating its own
tuning.
"""
import librosa
import numpy as np

from .. import config
from ..dsp.windows import windowed_frames

NEEDS = ("audio",)
LIBRARIES = ("librosa",)
HOP = 512


def _chroma_frames(y):
    return librosa.feature.chroma_stft(y=y, sr=config.SAMPLE_RATE, hop_length=HOP,
                                       n_fft=4096).T


def compute(analysis):
    chroma = windowed_frames(_chroma_frames, analysis.audio(config.SAMPLE_RATE), HOP,
                             config.SAMPLE_RATE)
    return {"chroma": np.ascontiguousarray(chroma.T, dtype=np.float32),
            "fps": config.SAMPLE_RATE / HOP}
