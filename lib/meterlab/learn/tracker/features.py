"""The tracker's input: a log-magnitude, log-frequency spectrogram at 100 frames/s.

The representation madmom's and Böck and Davies' beat networks read (12 bands per
octave, logarithmic magnitude), computed with madmom's own processors, at the project's
22,050 Hz rate (a 1024-sample frame: the 46 ms of madmom's 2048 at 44.1 kHz; the bands
stop below that rate's Nyquist frequency). The training data and the analysis of a file
both call :func:`spectrogram`, so the network always sees what it was trained on.
"""
import numpy as np

from ...thirdparty import compat
from ... import config

FPS = 100
SAMPLE_RATE = config.SAMPLE_RATE
FRAME_SIZE = 1024
BANDS_PER_OCTAVE = 12
FMIN, FMAX = 30.0, 10000.0


def spectrogram(y, sample_rate=SAMPLE_RATE):
    """``(frames, bins)`` float32 features of mono ``y``: frame ``i`` is centred on
    sample ``i * sample_rate / FPS``, one frame per started 1/FPS s."""
    compat.ensure()
    from madmom.audio.signal import FramedSignal
    from madmom.audio.spectrogram import LogarithmicFilteredSpectrogram

    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"features are computed at {SAMPLE_RATE} Hz, got {sample_rate}")
    frames = FramedSignal(compat.madmom_signal(y, sample_rate), frame_size=FRAME_SIZE, fps=FPS)
    spec = LogarithmicFilteredSpectrogram(frames, num_bands=BANDS_PER_OCTAVE, fmin=FMIN, fmax=FMAX,
                                          mul=1, add=1)
    return np.asarray(spec, dtype=np.float32)


def n_bins():
    """The number of frequency bins :func:`spectrogram` gives."""
    return spectrogram(np.zeros(FRAME_SIZE, dtype=np.float32)).shape[1]
