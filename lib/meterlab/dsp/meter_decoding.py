"""Per-meter scores from beat/downbeat activations, shared by the downbeat-tracker signals.

madmom's DBNDownBeatTrackingProcessor picks the best of several bar lengths and throws
the others' likelihoods away. Here each candidate meter's bar-pointer HMM (madmom's
model, same tempi, transitions and observation model) is decoded separately and its
Viterbi log-probability kept, so every meter gets a score.

Only that log-probability is needed, not the path, so the decoder is a forward
max-product pass without back-pointers: memory is the size of the state space whatever
the file's length (madmom's ``HiddenMarkovModel.viterbi`` keeps frames x states
back-pointers: 11 GB for a 10-minute file over the nine candidate meters). It also uses
the model's structure: within a beat every state moves one position on, so each
(beat, tempo) chain is a ring buffer whose head turns instead of values moving; every
state outside the beat region shares one observation term, kept as a running offset; so
a frame only touches the tempo transitions at beat boundaries and the few beat-region
states. The log-probabilities equal madmom's (``tests/test_meter_decoding.py``).
"""
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from ..thirdparty import compat
from .. import config

#: Floor for activations and for 1 - their sum, so that a saturated network output
#: (a float32 probability of exactly 0 or 1) is a very unlikely frame, not -inf or NaN.
MIN_PROBABILITY = 1e-12


@dataclass(frozen=True)
class BarModel:
    """madmom's bar-pointer HMM for one beats-per-bar, in the decoder's layout."""

    beats: int
    #: Beat interval of each tempo, in frames (a chain of that many positions).
    intervals: np.ndarray
    #: First state of each tempo's chain within a beat (cumulative intervals, + total).
    offsets: np.ndarray
    #: Positions at the start of each chain that observe a (down)beat.
    beat_region: np.ndarray
    #: Tempo transitions into tempo ``j`` come from tempi ``first_source[j]`` onwards,
    #: with ``log_probs[starts[j]:starts[j + 1]]`` (madmom's exponential tempo change;
    #: its zeros dropped leave one contiguous run of tempi around ``j``).
    starts: np.ndarray
    first_source: np.ndarray
    log_probs: np.ndarray
    observation_lambda: float

    @property
    def num_states(self):
        return self.beats * int(self.offsets[-1])


@lru_cache(maxsize=None)
def bar_model(beats, fps):
    """The model ``DBNDownBeatTrackingProcessor(beats_per_bar=[beats], fps=fps)`` decodes."""
    compat.ensure()
    from madmom.features.beats_hmm import BeatStateSpace, exponential_transition
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor as Processor

    space = BeatStateSpace(60.0 * fps / Processor.MAX_BPM, 60.0 * fps / Processor.MIN_BPM,
                           Processor.NUM_TEMPI)
    border = 1.0 / Processor.OBSERVATION_LAMBDA
    beat_region = np.array([np.sum(space.state_positions[first:last + 1] < border)
                            for first, last in zip(space.first_states, space.last_states)])
    probabilities = exponential_transition(space.intervals, space.intervals,
                                           Processor.TRANSITION_LAMBDA)
    into = probabilities.T
    sources = [np.flatnonzero(row) for row in into]
    if any(np.any(np.diff(s) != 1) for s in sources):
        raise ValueError("tempo transitions are not contiguous runs of tempi")
    return BarModel(
        beats=int(beats),
        intervals=space.intervals.astype(np.int64),
        offsets=np.r_[0, np.cumsum(space.intervals)].astype(np.int64),
        beat_region=beat_region.astype(np.int64),
        starts=np.r_[0, np.cumsum([len(s) for s in sources])].astype(np.int64),
        first_source=np.array([s[0] for s in sources], dtype=np.int64),
        log_probs=np.log(np.concatenate([row[s] for row, s in zip(into, sources)])),
        observation_lambda=float(Processor.OBSERVATION_LAMBDA),
    )


def log_densities(activations, observation_lambda):
    """(frames, 3) log densities of no beat, beat and downbeat, as madmom's
    ``RNNDownBeatTrackingObservationModel`` computes them (with the floor above)."""
    activations = np.asarray(activations, dtype=np.float64)
    densities = np.empty((len(activations), 3))
    densities[:, 0] = np.log(np.maximum(1.0 - activations.sum(axis=1), MIN_PROBABILITY)
                             / (observation_lambda - 1))
    densities[:, 1:] = np.log(np.maximum(activations, MIN_PROBABILITY))
    return densities


@numba.njit(cache=True)
def _best_log_prob(densities, beats, intervals, offsets, beat_region, starts,
                   first_source, log_probs, num_states):
    """Forward max-product over the ring-buffer layout described in the module docstring.

    Position ``p`` of a chain of interval ``L`` lives at slot ``(p - t) % L`` at frame
    ``t``, so the slot of position 0 at ``t`` held the chain's last position at ``t - 1``.
    Each beat's last values are gathered into a small dense row first, which the
    contiguous runs of source tempi then read in order.
    """
    tempi = len(intervals)
    per_beat = offsets[tempi]
    values = np.full(beats * per_beat, -np.log(num_states))
    last = np.empty((beats, tempi))
    heads = np.empty(tempi, dtype=np.int64)
    offset = 0.0
    for t in range(len(densities)):
        for i in range(tempi):
            heads[i] = (intervals[i] - t % intervals[i]) % intervals[i]
        for b in range(beats):
            for i in range(tempi):
                last[b, i] = values[b * per_beat + offsets[i] + heads[i]]
        no_beat = densities[t, 0]
        for b in range(beats):
            previous = last[(b - 1) % beats]
            extra = (densities[t, 2] if b == 0 else densities[t, 1]) - no_beat
            base = b * per_beat
            for j in range(tempi):
                best = -np.inf
                shift = first_source[j] - starts[j]
                for k in range(starts[j], starts[j + 1]):
                    value = previous[shift + k] + log_probs[k]
                    if value > best:
                        best = value
                chain = base + offsets[j]
                values[chain + heads[j]] = best
                for p in range(beat_region[j]):
                    slot = heads[j] + p
                    if slot >= intervals[j]:
                        slot -= intervals[j]
                    values[chain + slot] += extra
        offset += no_beat
    return values.max() + offset


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
    log_probs = []
    for beats in meters:
        model = bar_model(int(beats), float(fps))
        densities = log_densities(activations, model.observation_lambda)
        log_probs.append(_best_log_prob(densities, model.beats, model.intervals,
                                        model.offsets, model.beat_region, model.starts,
                                        model.first_source, model.log_probs,
                                        model.num_states))
    return np.array(log_probs)


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
