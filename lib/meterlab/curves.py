"""Reading frame-rate curves (novelty, activation, harmonic change) the way every signal
reads them: their unbiased autocorrelation, the peak near a lag, the peak near each beat,
and each meter's repetition at its bar lag above the shorter bars that also fit.
"""
import numpy as np

from . import config
from .analysis import Unavailable


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


def bar_baseline(values, meter):
    """What a bar of ``meter`` must beat: its neighbour lags' mean or its best divisor.

    ``values`` maps bar lengths in beats to a repetition measure (autocorrelation), NaN
    where the lag is too long to trust; shorter lags than ``meter``'s are trusted
    whenever ``meter``'s is, so only ``meter + 1`` can be missing, leaving ``meter - 1``
    as the neighbour baseline.
    """
    neighbours = [values[meter - 1], values[meter + 1]]
    divisors = [values[d] for d in range(1, meter) if meter % d == 0]
    return max(np.nanmean(neighbours), np.nanmax(divisors))


def bar_contrasts(values, meters=config.CANDIDATE_METERS):
    """Each meter's repetition above its :func:`bar_baseline`: every whole number of
    beats repeats the beat, and multiples of the true bar repeat too, so a meter earns
    credit only for what it adds over its neighbours and over a shorter bar that fits.

    A meter whose lag is too long to trust gets the lowest contrast of the others.
    """
    contrast = np.array([
        values[meter] - bar_baseline(values, meter) if np.isfinite(values[meter]) else np.nan
        for meter in meters
    ])
    finite = np.isfinite(contrast)
    if not finite.any():
        raise Unavailable("every bar lag is longer than the audio supports")
    contrast[~finite] = contrast[finite].min()
    return contrast
