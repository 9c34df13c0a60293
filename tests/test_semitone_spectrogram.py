"""Bar tracking's band spectrogram: the fast version equals madmom's own."""
import numpy as np

from meterlab.thirdparty import compat, madmom_speedups
from tests.conftest import click_track


def test_fast_semitone_spectrogram_equals_madmoms():
    compat.ensure()
    from madmom.audio.spectrogram import SemitoneBandpassSpectrogram

    rng = np.random.default_rng(0)
    y = click_track(duration=4.0, sample_rate=44100, beats_per_bar=3)
    y = (y + 0.05 * rng.standard_normal(len(y))).astype(np.float32)
    signal = compat.madmom_signal(y, 44100)
    fast = SemitoneBandpassSpectrogram(signal, fps=50.0)
    original = madmom_speedups._semitone_bandpass_spectrogram.madmom_original(
        SemitoneBandpassSpectrogram, signal, fps=50.0)
    assert fast.shape == original.shape == (201, 88)
    np.testing.assert_allclose(fast, original, rtol=1e-9, atol=1e-12 * original.max())
    assert fast.fps == original.fps and fast.filterbank is not None
