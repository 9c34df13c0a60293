"""Autocorrelation of novelty curves at the bar lag each meter implies.

Music repeats at the bar: accents, drum patterns, bass figures and chord changes recur
every ``k`` beats. With the beat period ``T`` (median inter-beat interval of the shared
beats), a meter of ``k`` predicts a strong autocorrelation peak at lag ``k * T`` in
several novelty curves (onset strength, rising loudness, low-band spectral flux and
chroma change), each catching a different kind of repetition.

Two things make raw autocorrelation at ``k * T`` a poor meter score. Every lag that is a
whole number of beats repeats the beat itself, and autocorrelation is also high at
multiples of the true bar (a bar of 3 makes ``6T``, ``9T`` and ``12T`` look good). A
meter's score is therefore a contrast: its autocorrelation minus the stronger of (a) the
mean at its neighbouring lags ``(k - 1) T`` and ``(k + 1) T``, the beat-level baseline,
and (b) the best of its proper divisors including the one-beat bar. A meter earns credit
only for what it adds over a shorter bar that also fits.
"""
import librosa
import numpy as np
from scipy.ndimage import gaussian_filter1d

from .. import config
from ..analyses.beats import require_beats
from ..engine.file_analysis import Unavailable
from ..dsp.curves import lag_peak, unbiased_autocorrelation
from ..dsp.windows import windowed_frames

NEEDS = ("audio", "beats", "onset", "chroma")
LIBRARIES = ("librosa", "scipy")

#: Lags are searched this fraction either side of ``k * T``, absorbing the error of a
#: median beat period accumulated over ``k`` beats and small tempo drift.
LAG_TOLERANCE = 0.03
#: Longest lag, as a share of the curve, whose autocorrelation is still trusted: beyond
#: it too few frames overlap. A meter whose bar is longer gets the lowest score of the
#: others.
MAX_LAG_SHARE = 0.6
#: Spectral flux uses only bins below this frequency: kick drum and bass notes mark
#: the bar more than the hi-hats that dominate a full-band flux.
LOW_BAND_HZ = 250.0
#: Gaussian smoothing (sigma, seconds) of each curve before autocorrelation. Onsets are
#: one-frame spikes, and a beat period of a fractional number of frames makes spikes
#: one beat apart fall on alternately aligned frames: unsmoothed, lag 2T can beat lag T
#: on a metronome.
SMOOTHING_S = 0.05
#: Scale of the contrast in the exponential mapping to (0, 1].
TEMPERATURE = 0.1


def low_band_flux(y, sample_rate, hop):
    """Half-wave rectified frame-to-frame rise of the log magnitude below LOW_BAND_HZ,
    window by window (:mod:`meterlab.dsp.windows`): an hour's whole spectrum is 2 GB."""
    return windowed_frames(lambda segment: _low_band_flux(segment, sample_rate, hop), y, hop,
                           sample_rate)


def _low_band_flux(y, sample_rate, hop):
    spectrum = np.abs(librosa.stft(y, n_fft=2048, hop_length=hop))
    bins = librosa.fft_frequencies(sr=sample_rate, n_fft=2048) < LOW_BAND_HZ
    log_band = np.log1p(100.0 * spectrum[bins])
    return np.maximum(np.diff(log_band, axis=1, prepend=log_band[:, :1]), 0).sum(axis=0)


def novelty_curves(analysis):
    """The novelty curves at the shared analyses' hop, trimmed to a common length, smoothed."""
    onset = analysis["onset"]
    chroma = analysis["chroma"]["chroma"]
    rms = onset["rms"]
    curves = [
        onset["envelope"],
        np.maximum(np.diff(rms, prepend=rms[0]), 0),
        low_band_flux(analysis.audio(config.SAMPLE_RATE), config.SAMPLE_RATE,
                      round(config.SAMPLE_RATE / onset["fps"])),
        np.maximum(np.diff(chroma, axis=1, prepend=chroma[:, :1]), 0).sum(axis=0),
    ]
    length = min(len(curve) for curve in curves)
    sigma = SMOOTHING_S * onset["fps"]
    return [gaussian_filter1d(np.asarray(curve[:length], dtype=np.float64), sigma)
            for curve in curves]


def bar_autocorrelation(curves, period_frames, lengths):
    """Mean over curves of the autocorrelation peak at ``k * period`` for each ``k``.

    Returns
    -------
    np.ndarray
        One value per entry of ``lengths``; NaN where the lag is too long to trust.
    """
    autocorrelations = [unbiased_autocorrelation(curve) for curve in curves]
    return np.array([
        np.mean([lag_peak(ac, k * period_frames, LAG_TOLERANCE, MAX_LAG_SHARE)
                 for ac in autocorrelations])
        for k in lengths
    ])


def baseline(values, meter):
    """What a bar of ``meter`` must beat: its neighbour lags' mean or its best divisor.

    ``values`` maps bar lengths in beats to autocorrelation, NaN where the lag is too
    long to trust; shorter lags than ``meter``'s are trusted whenever ``meter``'s is, so
    only ``meter + 1`` can be missing, leaving ``meter - 1`` as the neighbour baseline.
    """
    neighbours = [values[meter - 1], values[meter + 1]]
    divisors = [values[d] for d in range(1, meter) if meter % d == 0]
    return max(np.nanmean(neighbours), np.nanmax(divisors))


def meter_contrasts(values, meters=config.CANDIDATE_METERS):
    """Each meter's autocorrelation above its :func:`baseline`.

    A meter whose lag is too long to trust gets the lowest contrast of the others.
    """
    contrast = np.array([
        values[meter] - baseline(values, meter) if np.isfinite(values[meter]) else np.nan
        for meter in meters
    ])
    finite = np.isfinite(contrast)
    if not finite.any():
        raise Unavailable("every bar lag is longer than the audio supports")
    contrast[~finite] = contrast[finite].min()
    return contrast


def scores(analysis):
    beats = analysis["beats"]
    require_beats(beats["times"])
    period = float(beats["period"])
    curves = novelty_curves(analysis)
    period_frames = period * analysis["onset"]["fps"]
    lengths = range(1, max(config.CANDIDATE_METERS) + 2)
    values = dict(zip(lengths, bar_autocorrelation(curves, period_frames, lengths)))
    contrast = meter_contrasts(values)
    return np.exp((contrast - contrast.max()) / TEMPERATURE).astype(np.float32)
