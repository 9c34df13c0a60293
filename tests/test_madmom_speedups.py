"""madmom's LSTM networks give the same activations through the fast recurrence."""
import numpy as np

from meterlab.thirdparty import compat, madmom_speedups
from tests.conftest import click_track


def test_fast_lstm_equals_madmoms_own_on_the_downbeat_network():
    compat.ensure()
    from madmom.features.downbeats import RNNDownBeatProcessor
    from madmom.ml.nn.layers import LSTMLayer

    y = click_track(duration=5.0, sample_rate=44100, beats_per_bar=3)
    signal = compat.madmom_signal(y, 44100)
    fast = RNNDownBeatProcessor()(signal)
    LSTMLayer.activate = madmom_speedups._fast_lstm_activate.madmom_original
    try:
        original = RNNDownBeatProcessor()(signal)
    finally:
        LSTMLayer.activate = madmom_speedups._fast_lstm_activate
    assert fast.shape == original.shape == (500, 2)
    np.testing.assert_allclose(fast, original, atol=2e-5)
    assert np.abs(original).max() > 0.1
