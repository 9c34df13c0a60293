"""How much each beat resembles the beat ``k`` and ``2k`` beats later: bar-lag repetition.

Most music repeats at the bar: a bar's rhythm, melody and harmony come back in the
next bars, drums or not, so beat-synchronous features are self-similar at lags that
are whole bars (3 and 6 beats for 3/4; 4 and 8 for 4/4). Phase signals (beat_pattern,
hcdf) read *where* in the bar changes fall; this one reads *what repeats*. Per tracked
beat (so the lags follow the performer's rubato) four feature vectors are taken from
the shared analyses:

- rhythm: mean onset strength in each of :data:`SUBDIVISIONS` equal parts of the beat;
- loudness: mean RMS in each of those parts (how notes sustain and decay);
- harmony: mean chroma over the beat;
- bass: mean of the bass-line pitch classes (:mod:`..analyses.bass`) over the beat.

Each feature is centred on its mean over the file (what every beat shares says nothing
about the bar) and beats are compared by cosine similarity; ``r(L)``, the mean
similarity of beats ``L`` apart, is averaged over the features that vary at all.

A meter ``k`` scores the mean of ``r(k)`` and ``r(2k)`` minus the mean at the
neighbouring lags ``k +- 1`` and ``2k +- 1``: a contrast in units of cosine similarity,
net of how alike beats are anyway, so it compares across files. Requiring the second
bar (``2k``) keeps one accidental match at ``k`` from deciding. A bar that does not fit
twice into the beats gets the lowest contrast of the others.

Divisors and multiples:

- A divisor scores below the true bar: in 4/4 the lag 2 (half a bar) repeats less than
  lags 4 and 8, so 2's evidence ``r(2), r(4)`` is lower than 4's ``r(4), r(8)``.
- 2 against 4 is left to that: a bar of 2 repeats at lags 4 and 8 too, so 4 scores as
  high as 2 in 2/4 and 2/2 music. This is wanted: the project's class 4 holds 2/4 and
  2/2 (METER2800's mapping), so duple music must not be pulled away from 4.
- A multiple of a bar of 3 or more (6 and 9 of 3; 12 of 3, 4 and 6) repeats wherever its
  divisor does, so it would tie with it (6 with 3 in 3/4). It keeps only what it adds
  over its best divisor: ``contrast(6) - contrast(3)``, so 6 beats 3 only where its
  contrast is over twice 3's, where half of it (3 beats) repeats much less than all of
  it (6 beats), e.g. a 6/8 tracked in eighths.

Contrasts are mapped to ``exp((c - max) / TEMPERATURE)``: non-negative, 1 for the best
meter, ordered as the contrasts are.

Features, lags and baseline were chosen on the tuning splits only (scores: chorales,
folk tunes, quartets, Palestrina, ...; the corpus). Against ``k, 2k`` with neighbouring
lags as the baseline: lag ``k`` alone lost 5 points of binary 3-vs-4 accuracy on the
scores and 6 on the corpus, ``k, 2k, 3k`` lost 1 and 5, and the mean over all lags as
the baseline lost 5 on the scores (4-class: 4 points).
"""
import numpy as np

from .. import config
from ..analyses.beats import require_beats
from ..engine.file_analysis import Unavailable
from .beat_pattern import beat_means

NEEDS = ("beats", "onset", "chroma", "bass")
LIBRARIES = ()

#: Parts of each beat whose onset strength and loudness make the rhythm and loudness
#: vectors: 4 resolves sixteenths. On the tuning splits 2 (eighths) and 8 score within
#: two files of 4; 1 (no rhythm within the beat) loses 3-9 points.
SUBDIVISIONS = 4
#: Scale (cosine-similarity units) of the contrast in the exponential mapping.
TEMPERATURE = 0.1


def beat_subdivisions(times, parts):
    """``parts`` equally spaced times per inter-beat span, then the last beat."""
    starts = times[:-1, None] + np.diff(times)[:, None] * np.arange(parts) / parts
    return np.append(starts.ravel(), times[-1])


def within_beat_profile(curve, edges):
    """``(SUBDIVISIONS, beats - 1)``: the mean of ``curve`` in each part of each beat,
    ``edges`` being :func:`beat_subdivisions` in frames."""
    return beat_means(np.asarray(curve)[None, :], edges)[0].reshape(-1, SUBDIVISIONS).T


def beat_features(analysis, times):
    """The per-beat feature matrices ``(dimensions, beats - 1)``: rhythm, loudness,
    harmony, bass."""
    onset, chroma, bass = analysis["onset"], analysis["chroma"], analysis["bass"]
    edges = beat_subdivisions(times, SUBDIVISIONS) * onset["fps"]
    return [within_beat_profile(onset["envelope"], edges),
            within_beat_profile(onset["rms"], edges),
            beat_means(chroma["chroma"], times * chroma["fps"]),
            beat_means(bass["bass"], times * bass["fps"])]


def lag_similarity(features, max_lag):
    """``r[L]``: mean cosine similarity of centred beat vectors ``L`` beats apart, for
    ``L`` in ``0..max_lag`` (NaN at 0 and where no pair is that far apart)."""
    centred = features - features.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(centred, axis=0)
    unit = centred / np.where(norms > 0, norms, 1.0)
    beats = unit.shape[1]
    similarity = np.full(max_lag + 1, np.nan)
    for lag in range(1, min(max_lag, beats - 1) + 1):
        similarity[lag] = (unit[:, lag:] * unit[:, :-lag]).sum(axis=0).mean()
    return similarity


def repetition(features, max_lag):
    """:func:`lag_similarity` averaged over the features that vary from beat to beat
    (beyond the rounding error of averaging frames)."""
    varying = [f for f in features if not np.allclose(f, f[:, :1])]
    if not varying:
        raise Unavailable("no beat feature varies from beat to beat")
    return np.mean([lag_similarity(f, max_lag) for f in varying], axis=0)


def bar_contrast(similarity, meter):
    """Mean of ``r(k), r(2k)`` minus the mean of their neighbours; NaN where ``r(2k)`` is."""
    lags = [meter, 2 * meter]
    if np.isnan(similarity[lags]).any():
        return np.nan
    neighbours = [similarity[lag + step] for lag in lags for step in (-1, 1)]
    return np.mean(similarity[lags]) - np.nanmean(neighbours)


def discount_multiples(contrast, meters):
    """Each meter's contrast minus its best proper divisor's among ``meters`` from 3 up
    (see the module docstring for why 2 is not one)."""
    by_meter = dict(zip(meters, contrast))
    return np.array([
        by_meter[m] - max((by_meter[d] for d in meters if 3 <= d < m and m % d == 0),
                          default=0.0)
        for m in meters
    ])


def meter_scores(similarity, meters=config.CANDIDATE_METERS):
    """Non-negative scores, one per meter, from the lag similarity ``r``."""
    contrast = np.array([bar_contrast(similarity, meter) for meter in meters])
    finite = np.isfinite(contrast)
    if not finite.any():
        raise Unavailable("no bar fits twice into the beats")
    contrast[~finite] = contrast[finite].min()
    contrast = discount_multiples(contrast, meters)
    return np.exp((contrast - contrast.max()) / TEMPERATURE)


def scores(analysis):
    times = np.asarray(analysis["beats"]["times"])
    require_beats(times)
    max_lag = 2 * max(config.CANDIDATE_METERS) + 1
    similarity = repetition(beat_features(analysis, times), max_lag)
    return meter_scores(similarity).astype(np.float32)
