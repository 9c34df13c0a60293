"""Periodicity at ``k`` beats of what happens at each beat: made for music without drums.

With no drums, a bar shows in where the accompaniment puts its weight: a new bass note
on the downbeat, harmony that moves at the bar line, the louder first note of a
phrase-shaped melody. These cues are read once per tracked beat, so they follow the
performer's rubato instead of assuming a steady tempo as a frame-level autocorrelation
does. Per beat:

- accent: the onset-strength peak at the beat;
- loudness: the RMS peak at the beat;
- harmony change: cosine distance between this beat's and the previous beat's chroma;
- bass change: the same for the lowest sounding pitch class (:mod:`..analyses.bass`).

Each sequence is standardised and autocorrelated at whole-beat lags; their mean at
lag ``k`` is how well a bar of ``k`` beats repeats. A meter's score is that value above
both its neighbour lags and its best divisor (:func:`meterlab.curves.bar_contrasts`),
mapped to (0, 1) by a logistic so that it stays comparable across files.
"""
import numpy as np

from .. import config
from ..analyses.beats import require_beats
from ..curves import bar_contrasts, peaks_near, unbiased_autocorrelation

NEEDS = ("beats", "onset", "chroma", "bass")
LIBRARIES = ()

#: Each beat's accent and loudness are peaks within this many beat periods of it.
BEAT_WINDOW = 0.1
#: Longest lag, as a share of the beats, whose autocorrelation is still trusted.
MAX_LAG_SHARE = 0.6
#: Scale of the contrast in the logistic mapping to (0, 1).
TEMPERATURE = 0.1


def beat_means(frames, beat_frames):
    """Mean of each row over the frames between consecutive beats: (rows, beats - 1)."""
    edges = np.clip(np.round(beat_frames).astype(int), 0, frames.shape[1])
    totals = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames, axis=1)], axis=1)
    return (totals[:, edges[1:]] - totals[:, edges[:-1]]) / np.maximum(np.diff(edges), 1)


def change(vectors):
    """Cosine distance between each column and the previous one; 0 at the first."""
    norms = np.linalg.norm(vectors, axis=0)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    similarity = (unit[:, 1:] * unit[:, :-1]).sum(axis=0)
    return np.concatenate([[0.0], 1.0 - similarity])


def beat_sequences(analysis, times, period):
    """The per-beat cue sequences (rows), one value per inter-beat span."""
    onset, chroma, bass = analysis["onset"], analysis["chroma"], analysis["bass"]
    frames = times * onset["fps"]
    window = BEAT_WINDOW * period * onset["fps"]
    accent = peaks_near(onset["envelope"], frames, window)[:-1]
    loudness = peaks_near(onset["rms"], frames, window)[:-1]
    harmony = change(beat_means(chroma["chroma"], times * chroma["fps"]))
    bass_line = change(beat_means(bass["bass"], times * bass["fps"]))
    return np.stack([accent, loudness, harmony, bass_line])


def lag_repetition(sequences, lengths):
    """Mean over the sequences of their autocorrelation at each whole-beat lag in
    ``lengths``; NaN beyond :data:`MAX_LAG_SHARE` of the beats."""
    autocorrelations = [unbiased_autocorrelation(row) for row in sequences]
    limit = MAX_LAG_SHARE * (sequences.shape[1] - 1)
    return {k: float(np.mean([ac[k] for ac in autocorrelations])) if k <= limit else np.nan
            for k in lengths}


def scores(analysis):
    times = np.asarray(analysis["beats"]["times"])
    require_beats(times)
    sequences = beat_sequences(analysis, times, float(analysis["beats"]["period"]))
    lengths = range(1, max(config.CANDIDATE_METERS) + 2)
    contrast = bar_contrasts(lag_repetition(sequences, lengths))
    return (1.0 / (1.0 + np.exp(-contrast / TEMPERATURE))).astype(np.float32)
