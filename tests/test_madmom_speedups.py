"""madmom's LSTM networks give the same activations through the fast recurrence."""
import numba
import numpy as np

from meterlab.thirdparty import compat, madmom_speedups
from tests.conftest import click_track


def test_fast_lstm_equals_madmoms_own_on_the_downbeat_network(monkeypatch):
    compat.ensure()
    from madmom.features.downbeats import RNNDownBeatProcessor
    from madmom.ml.nn.layers import LSTMLayer

    compiled = madmom_speedups._lstm_steps
    frames_per_call = []

    def counted(projected, *args):
        frames_per_call.append(len(projected))
        return compiled(projected, *args)

    monkeypatch.setattr(madmom_speedups, "_lstm_steps", counted)
    y = click_track(duration=5.0, sample_rate=44100, beats_per_bar=3)
    signal = compat.madmom_signal(y, 44100)
    assert LSTMLayer.activate is madmom_speedups._fast_lstm_activate
    fast = RNNDownBeatProcessor()(signal)
    # The recurrence ran as numba machine code, for every LSTM layer of the 8 networks
    # (3 bidirectional layers each), on every frame: no silent fall-back to madmom's loop.
    assert isinstance(compiled, numba.core.registry.CPUDispatcher) and compiled.signatures
    assert frames_per_call == [500] * 8 * 3 * 2
    LSTMLayer.activate = madmom_speedups._fast_lstm_activate.madmom_original
    try:
        original = RNNDownBeatProcessor()(signal)
    finally:
        LSTMLayer.activate = madmom_speedups._fast_lstm_activate
    assert len(frames_per_call) == 48                     # madmom's own loop, not ours
    assert fast.shape == original.shape == (500, 2)
    np.testing.assert_allclose(fast, original, atol=2e-5)
    assert np.abs(original).max() > 0.1
