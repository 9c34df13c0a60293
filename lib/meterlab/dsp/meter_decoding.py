"""Per-meter scores from beat/downbeat activations, shared by the downbeat-tracker signals.

madmom's DBNDownBeatTrackingProcessor picks the best of several bar lengths and throws
the others' likelihoods away. Here each candidate meter's bar-pointer HMM (madmom's
model, same tempi, transitions and observation model) is decoded separately and its
Viterbi log-probability kept, so every meter gets a score.

Only that log-probability is needed, not the path, so the decoder is a forward
max-product pass without back-pointers: memory is the size of the state space whatever
the file's length (madmom's ``HiddenMarkovModel.viterbi`` keeps frames x states
back-pointers: 11 GB for a 10-minute file over the nine candidate meters). It also uses
the model's structure, so that a frame costs a few operations per tempo, not per state:

- within a beat every state moves one position on, so each (beat, tempo) chain is a ring
  buffer whose head turns instead of values moving;
- every state outside the beat region shares one observation term, kept as a running
  offset; a state's beat-region terms are known (the activations are) when it enters
  the chain, so they are added then, all at once, instead of frame by frame;
- the tempo transitions into each tempo come from a contiguous run of tempi around it,
  so they are kept as a band (a row per tempo offset, ``-inf`` outside the runs) and
  taken a whole offset at a time over every tempo, a loop the compiler vectorises.

Together about 3x faster than a source and a state at a time; the log-probabilities
equal madmom's (``tests/test_decoder_parity.py``).
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
    #: Log-probability of moving from tempo ``j + lowest_offset + d`` into tempo ``j``
    #: at ``band[d, j]``, ``-inf`` where madmom's exponential tempo change has a zero
    #: (its non-zeros are one contiguous run of tempi around ``j``).
    band: np.ndarray
    lowest_offset: int
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
    tempi = np.arange(len(into))
    lowest = min(s[0] - j for j, s in zip(tempi, sources))
    highest = max(s[-1] - j for j, s in zip(tempi, sources))
    band = np.full((highest - lowest + 1, len(into)), -np.inf)
    for j, s in zip(tempi, sources):
        band[s - j - lowest, j] = np.log(into[j, s])
    return BarModel(
        beats=int(beats),
        intervals=space.intervals.astype(np.int64),
        offsets=np.r_[0, np.cumsum(space.intervals)].astype(np.int64),
        beat_region=beat_region.astype(np.int64),
        band=band,
        lowest_offset=int(lowest),
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
def _region_gains(densities, start, kind, beat_region, gains):
    """``gains[j]``: what a state entering tempo ``j``'s chain at frame ``start`` collects
    over its beat region, beyond the shared no-beat term (``kind`` 2 downbeat, 1 beat)."""
    for j in range(len(beat_region)):
        total = 0.0
        for t in range(start, min(start + beat_region[j], len(densities))):
            total += densities[t, kind] - densities[t, 0]
        gains[j] = total


@numba.njit(cache=True)
def _best_log_prob(densities, beats, intervals, offsets, beat_region, band, lowest_offset,
                   num_states):
    """Forward max-product over the layout described in the module docstring.

    Position ``p`` of a chain of interval ``L`` lives at slot ``(p - t) % L`` at frame
    ``t`` (the chain's head), so the slot of position 0 at ``t`` held the chain's last
    position at ``t - 1``. Each beat's last values are gathered into a row padded with
    ``-inf`` first, so that tempo ``j``'s source at band row ``d`` sits at ``j + d``.
    """
    tempi = len(intervals)
    per_beat = offsets[tempi]
    width = band.shape[0]
    values = np.full(beats * per_beat, -np.log(num_states))
    last = np.full((beats, tempi + width - 1), -np.inf)
    best = np.empty(tempi)
    gains = np.empty((3, tempi))
    heads = np.zeros(tempi, dtype=np.int64)
    # A state that starts at position p inside a beat region collects its other frames.
    for b in range(beats):
        kind = 2 if b == 0 else 1
        for j in range(tempi):
            total = 0.0
            for p in range(beat_region[j] - 1, 0, -1):
                frame = beat_region[j] - 1 - p
                if frame < len(densities):
                    total += densities[frame, kind] - densities[frame, 0]
                values[b * per_beat + offsets[j] + p] += total
    offset = 0.0
    for t in range(len(densities)):
        if t > 0:
            for i in range(tempi):
                heads[i] = heads[i] - 1 if heads[i] > 0 else intervals[i] - 1
        _region_gains(densities, t, 2, beat_region, gains[2])
        _region_gains(densities, t, 1, beat_region, gains[1])
        for b in range(beats):
            for i in range(tempi):
                last[b, i - lowest_offset] = values[b * per_beat + offsets[i] + heads[i]]
        for b in range(beats):
            previous = last[(b - 1) % beats]
            best[:] = -np.inf
            for d in range(width):
                row = band[d]
                for j in range(tempi):
                    value = previous[j + d] + row[j]
                    best[j] = value if value > best[j] else best[j]
            gain = gains[2] if b == 0 else gains[1]
            for j in range(tempi):
                values[b * per_beat + offsets[j] + heads[j]] = best[j] + gain[j]
        offset += densities[t, 0]
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
                                        model.offsets, model.beat_region, model.band,
                                        model.lowest_offset, model.num_states))
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
