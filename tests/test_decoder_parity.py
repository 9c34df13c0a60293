"""The lean forward decoder gives madmom's own Viterbi log-probabilities."""
import numpy as np
import pytest

from meterlab.thirdparty import compat
from meterlab.dsp.meter_decoding import viterbi_log_probs


def _activations(frames, fps, beats_per_bar, seed):
    """Noisy beat/downbeat activations of a steady 120 BPM bar of ``beats_per_bar``."""
    rng = np.random.default_rng(seed)
    activations = rng.uniform(0.001, 0.05, size=(frames, 2))
    period = int(round(0.5 * fps))
    for index, frame in enumerate(range(0, frames, period)):
        activations[frame, 1 if index % beats_per_bar == 0 else 0] = rng.uniform(0.5, 0.9)
    return activations


def _madmom_log_probs(activations, fps, meters):
    compat.ensure()
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    decoder = DBNDownBeatTrackingProcessor(beats_per_bar=list(meters), fps=fps)
    return np.array([hmm.viterbi(np.ascontiguousarray(activations))[1]
                     for hmm in decoder.hmms])


@pytest.mark.parametrize("fps", [50.0, 100.0])
def test_log_probs_equal_madmoms_viterbi(fps):
    meters = (2, 3, 5, 7, 12)
    activations = _activations(int(8 * fps), fps, 3, seed=int(fps))
    ours = viterbi_log_probs(activations, fps, meters)
    np.testing.assert_allclose(ours, _madmom_log_probs(activations, fps, meters),
                               rtol=1e-10)
    assert np.argmax(ours) == meters.index(3)


def test_saturated_activations_stay_finite():
    activations = _activations(400, 100.0, 4, seed=1)
    activations[10] = (0.0, 1.0)
    assert np.all(np.isfinite(viterbi_log_probs(activations, 100.0, (3, 4))))
