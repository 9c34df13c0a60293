"""Per-meter scores from beat/downbeat activations, shared by the downbeat-tracker signals.

madmom's DBNDownBeatTrackingProcessor picks the best of several bar lengths and throws
the others' likelihoods away. Here each candidate meter's bar-pointer HMM is decoded
separately and its Viterbi log-probability kept, so every meter gets a score.
"""
import numpy as np

from . import compat, config


def viterbi_log_probs(activations, fps, meters=config.CANDIDATE_METERS):
    """Viterbi log-probability of the best path for each beats-per-bar in ``meters``.

    Parameters
    ----------
    activations : np.ndarray, shape (frames, 2)
        Beat (non-downbeat) and downbeat activations, as madmom's RNNDownBeatProcessor
        outputs them.
    fps : float
        Frames per second of ``activations``.
    """
    compat.ensure()
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    decoder = DBNDownBeatTrackingProcessor(beats_per_bar=list(meters), fps=fps)
    activations = np.ascontiguousarray(activations, dtype=np.float64)
    return np.array([hmm.viterbi(activations)[1] for hmm in decoder.hmms])


def scores_from_log_probs(log_probs, duration_s):
    """Turn log-probabilities into scores in (0, 1], the best meter scoring 1.

    Differences are divided by the duration so that scores of short and long files are
    comparable (log-probabilities grow with the number of frames).
    """
    relative = (np.asarray(log_probs) - np.max(log_probs)) / max(duration_s, 1.0)
    return np.exp(relative).astype(np.float32)


def dbn_meter_scores(activations, fps, meters=config.CANDIDATE_METERS):
    """Scores over ``meters`` from per-meter downbeat decoding of ``activations``."""
    log_probs = viterbi_log_probs(activations, fps, meters)
    return scores_from_log_probs(log_probs, len(activations) / fps)
