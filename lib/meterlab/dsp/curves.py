"""Reading frame-rate curves (novelty, activation, harmonic change) the way every signal
reads them: their unbiased autocorrelation, the peak near a lag, the peak near each beat,
and how strongly a per-beat sequence sets one beat in ``k`` apart.
"""
import numpy as np

from .. import config

#: Shuffles of a per-beat sequence that estimate the phase contrast of an unstructured
#: sequence; the generator is seeded, so a file always gets the same scores.
NULL_SHUFFLES = 32


def unbiased_autocorrelation(curve):
    """Autocorrelation of the mean-removed curve, 1 at lag 0, each lag's sum divided by
    its number of overlapping frames.

    The division keeps long lags comparable with short ones and a 20-s clip comparable
    with a 5-min song. A flat curve (silence, a constant drone) has no autocorrelation:
    it returns zeros.
    """
    curve = np.asarray(curve, dtype=np.float64)
    centred = curve - curve.mean()
    energy = float(np.dot(centred, centred))
    if energy <= 0:
        return np.zeros(len(curve))
    size = 2 * len(curve)
    spectrum = np.fft.rfft(centred, size)
    sums = np.fft.irfft(spectrum * np.conj(spectrum), size)[: len(curve)]
    overlap = (len(curve) - np.arange(len(curve))) / len(curve)
    return sums / energy / overlap


def lag_peak(curve, lag, tolerance, max_share=1.0):
    """Largest value of ``curve`` within ``tolerance * lag`` (at least one frame) of the
    fractional ``lag``; NaN when ``lag`` lies beyond ``max_share`` of the curve.

    The window grows with the lag because a small beat-period error is multiplied by
    the number of beats in the lag.
    """
    if lag > max_share * (len(curve) - 1):
        return np.nan
    reach = max(tolerance * lag, 1.0)
    low = max(int(np.floor(lag - reach)), 0)
    high = int(np.ceil(lag + reach))
    return float(np.max(curve[low:high + 1]))


def peaks_near(curve, frames, half_window):
    """The peak of ``curve`` within ``half_window`` frames (at least one) of each of the
    fractional ``frames`` (beat positions, say), those past the end read at the end."""
    half = max(int(round(half_window)), 1)
    centres = np.clip(np.round(frames).astype(int), 0, len(curve) - 1)
    return np.array([curve[max(c - half, 0):c + half + 1].max() for c in centres])


def phase_contrast(values, meter):
    """Best phase's mean minus the mean of the other phases' means, for a bar of ``meter``."""
    means = np.array([values[phase::meter].mean() for phase in range(meter)])
    best = int(np.argmax(means))
    return means[best] - np.delete(means, best).mean()


def contrast_above_chance(values, meter, shuffles):
    """Phase contrast minus its mean over ``shuffles``; 0 if the bar does not fit twice."""
    if len(values) < 2 * meter:
        return 0.0
    chance = np.mean([phase_contrast(shuffled, meter) for shuffled in shuffles])
    return max(phase_contrast(values, meter) - chance, 0.0)


def phase_contrasts(values, meters=config.CANDIDATE_METERS):
    """Phase contrast above the shuffled-sequence baseline, relative to the mean value,
    for each meter: a bar of ``k`` splits the beats into ``k`` phases (index mod ``k``),
    and the phase where the bar's cue falls stands above the others.

    Multiples of the true bar dilute the best phase's contrast with other downbeat
    phases, and divisors mix downbeats with mid-bar beats, so both score below the true
    bar; the contrast a random order reaches (larger for long bars, whose phases hold
    few beats) is subtracted.

    Parameters
    ----------
    values : np.ndarray
        One non-negative value per beat, with a positive mean.

    Returns
    -------
    np.ndarray
        Non-negative, one per meter; zero where the contrast is no better than chance
        or the bar does not fit twice into ``values``.
    """
    rng = np.random.default_rng(0)
    shuffles = [rng.permutation(values) for _ in range(NULL_SHUFFLES)]
    contrasts = [contrast_above_chance(values, meter, shuffles) for meter in meters]
    return np.array(contrasts) / values.mean()
