"""Onset-strength envelope (spectral flux on a log-mel spectrogram) and RMS energy."""
import librosa
import numpy as np

from .. import config

NEEDS = ("audio",)
LIBRARIES = ("librosa",)
HOP = 512


def compute(analysis):
    y = analysis.audio(config.SAMPLE_RATE)
    envelope = librosa.onset.onset_strength(y=y, sr=config.SAMPLE_RATE, hop_length=HOP)
    rms = librosa.feature.rms(y=y, hop_length=HOP)[0]
    return {"envelope": envelope.astype(np.float32), "rms": rms.astype(np.float32),
            "fps": config.SAMPLE_RATE / HOP}
