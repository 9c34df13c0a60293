"""A fixed-length, tempo-invariant summary of a file's onset rhythm, for the onset MLP.

Every lag and window is measured in beat periods (from the shared beat tracker), and
every value is a normalised mean or a ratio, never a sum or a count, so a clip's tempo
and duration do not move its features; only how its accents repeat does. Four groups:

* onset autocorrelation at sub-beat, off-beat and one-bar lags of every candidate meter,
  plus the bar lags' excess over the mean at whole-beat lags (a bar of 3 repeats at 3
  beats more than at 2 or 4);
* the mean autocorrelation tempogram, windowed to a fixed number of beats, read at
  ratios of the beat tempo (subdivisions and slow bar rates, locally normalised so
  tempo drift over a long file does not smear them);
* per bar length: the contrast (max / mean) of the beat accents folded modulo that
  length at their best phase, for onset strength and for loudness;
* per bar length: the correlation of the beat accents with themselves that many beats
  later, for onset strength and for loudness.

With fewer than :data:`MIN_BEATS` beats there is no beat period and every feature is 0;
the first feature says whether the beat grid was usable, so the MLP can tell a real 0.
"""
import librosa
import numpy as np

from .. import config
from ..dsp.curves import lag_peak, peaks_near, unbiased_autocorrelation
from ..dsp.windows import windowed_mean
from .beats import MIN_BEATS

NEEDS = ("onset", "beats")
LIBRARIES = ("librosa",)

#: A lag is read at its peak within this fraction of the lag (at least one frame).
LAG_TOLERANCE = 0.02
#: Beat-period multiples read from the onset autocorrelation besides the bar lengths:
#: the eighth note and the off-beat lags that syncopated or compound bars emphasise.
OFF_BEAT_LAGS = (0.5, 1.5, 2.5)
#: Whole-beat lags whose mean autocorrelation is the baseline for a bar lag's excess.
BASELINE_LAGS = tuple(range(1, max(config.CANDIDATE_METERS) + 1))
#: Tempogram window in beats: a local window, yet twice the longest lag read from it.
TEMPOGRAM_BEATS = 16
#: Tempo ratios read from the tempogram: subdivisions (>1), the beat, and bar rates.
TEMPO_RATIOS = (4.0, 3.0, 2.0, 1.5, 1.0, 2 / 3, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 1 / 7)
#: A beat's accent is the peak within this fraction of a beat period around it.
ACCENT_HALF_WINDOW = 0.1


def _feature_names():
    """Names in :func:`feature_vector`'s order, e.g. ``rms_accent_correlation_3``."""
    meters = config.CANDIDATE_METERS
    names = ["beat_grid"]
    names += [f"autocorrelation_{lag:g}" for lag in OFF_BEAT_LAGS + meters]
    names += [f"bar_excess_{k}" for k in meters]
    names += [f"tempogram_{ratio:.3g}" for ratio in TEMPO_RATIOS]
    for group in ("onset_fold_contrast", "rms_fold_contrast", "onset_accent_correlation",
                  "rms_accent_correlation"):
        names += [f"{group}_{k}" for k in meters]
    return tuple(names)


#: What each position of the ``features`` vector holds; its length is fixed.
FEATURE_NAMES = _feature_names()
N_FEATURES = len(FEATURE_NAMES)


def compute(analysis):
    onset = analysis["onset"]
    beats = analysis["beats"]
    times = np.asarray(beats["times"], dtype=np.float64)
    features = feature_vector(onset["envelope"], onset["rms"], float(onset["fps"]), times,
                              float(beats["period"]))
    return {"features": features}


def feature_vector(envelope, rms, fps, beat_times, beat_period):
    """All feature groups for one file, as float32 of length :data:`N_FEATURES`.

    ``beat_period`` (seconds) is the shared beat analysis's, the unit of every lag."""
    if len(beat_times) < MIN_BEATS or len(envelope) < 2:
        return np.zeros(N_FEATURES, dtype=np.float32)
    period = beat_period * fps
    envelope = np.asarray(envelope, dtype=np.float64)
    acf = unbiased_autocorrelation(envelope)
    onset_accents = _beat_accents(envelope, beat_times * fps, period)
    rms_accents = _beat_accents(np.asarray(rms, dtype=np.float64), beat_times * fps, period)
    meters = config.CANDIDATE_METERS
    parts = [
        [1.0],
        [_read_lag(acf, m * period) for m in OFF_BEAT_LAGS + meters],
        _bar_excess(acf, period),
        _tempogram_profile(envelope, period, fps),
        [_fold_contrast(onset_accents, k) for k in meters],
        [_fold_contrast(rms_accents, k) for k in meters],
        [_lag_correlation(onset_accents, k) for k in meters],
        [_lag_correlation(rms_accents, k) for k in meters],
    ]
    features = np.concatenate([np.asarray(part, dtype=np.float64) for part in parts])
    return np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def _read_lag(curve, lag):
    """:func:`~meterlab.dsp.curves.lag_peak`, 0 beyond the curve's end (a feature is a number)."""
    return np.nan_to_num(lag_peak(curve, lag, LAG_TOLERANCE))


def _bar_excess(acf, period):
    """Each bar lag's autocorrelation minus the mean at whole-beat lags."""
    baseline = np.mean([_read_lag(acf, k * period) for k in BASELINE_LAGS])
    return [_read_lag(acf, k * period) - baseline for k in config.CANDIDATE_METERS]


def _tempogram_profile(envelope, period, fps):
    """Mean autocorrelation tempogram read at :data:`TEMPO_RATIOS` of the beat tempo,
    window by window (:mod:`meterlab.dsp.windows`): an hour's whole tempogram is gigabytes."""
    window = int(np.ceil(TEMPOGRAM_BEATS * period))
    profile = windowed_mean(lambda part: librosa.feature.tempogram(
        onset_envelope=part.astype(np.float32), win_length=window).T, envelope, 1, fps)
    if profile[0] > 0:
        profile = profile / profile[0]
    return [_read_lag(profile, period / ratio) for ratio in TEMPO_RATIOS]


def _beat_accents(curve, beat_frames, period):
    """Peak of ``curve`` around each beat, divided by the mean peak (level-invariant)."""
    accents = peaks_near(curve, beat_frames, ACCENT_HALF_WINDOW * period)
    mean = accents.mean()
    return accents / mean if mean > 0 else np.zeros_like(accents)


def _fold_contrast(accents, k):
    """Max over mean of the accents folded modulo ``k`` beats; 0 under two bars.

    The max is the best phase, i.e. the phase the downbeats fall on for the true bar.
    """
    if len(accents) < 2 * k:
        return 0.0
    histogram = np.array([accents[phase::k].mean() for phase in range(k)])
    mean = histogram.mean()
    return float(histogram.max() / mean) if mean > 0 else 0.0


def _lag_correlation(accents, k):
    """Pearson correlation of the accents with those ``k`` beats later; 0 under two bars."""
    if len(accents) < 2 * k:
        return 0.0
    head, tail = accents[:-k], accents[k:]
    if head.std() == 0 or tail.std() == 0:
        return 0.0
    return float(np.corrcoef(head, tail)[0, 1])
