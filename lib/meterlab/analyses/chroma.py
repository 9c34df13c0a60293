"""Chroma (12 pitch classes per frame), shared by the harmony-aware signals."""
import librosa
import numpy as np

from .. import config

NEEDS = ("audio",)
LIBRARIES = ("librosa",)
HOP = 512


def compute(analysis):
    y = analysis.audio(config.SAMPLE_RATE)
    chroma = librosa.feature.chroma_stft(y=y, sr=config.SAMPLE_RATE, hop_length=HOP,
                                         n_fft=4096)
    return {"chroma": chroma.astype(np.float32), "fps": config.SAMPLE_RATE / HOP}
