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

For a meter ``k`` each cue's beats are split into ``k`` phases (beat index mod ``k``),
and the score is how far the phase where the cue falls stands above the others, above
what a shuffled sequence reaches, relative to the cue's mean
(:func:`meterlab.dsp.curves.phase_contrasts`, as the hcdf signal reads its harmonic
change), averaged over the cues that vary at all. Being relative to the mean and net
of chance, scores compare across files. Phases beat an autocorrelation at whole-beat
lags on the development pieces (rendered Bach chorales, Essen and Ryan's Mammoth
tunes, Haydn and Mozart quartets, and the drumless corpus clips' tuning split).
"""
import numpy as np

from ..analyses.beats import require_beats
from ..engine.file_analysis import Unavailable
from ..dsp.curves import peaks_near, phase_contrasts

NEEDS = ("beats", "onset", "chroma", "bass")
LIBRARIES = ()

#: Each beat's accent and loudness are peaks within this many beat periods of it.
BEAT_WINDOW = 0.1


def beat_means(frames, beat_frames):
    """Mean of each row over the frames between consecutive beats: (rows, beats - 1)."""
    edges = np.clip(np.round(beat_frames).astype(int), 0, frames.shape[1])
    totals = np.concatenate([np.zeros((len(frames), 1)), np.cumsum(frames, axis=1)], axis=1)
    return (totals[:, edges[1:]] - totals[:, edges[:-1]]) / np.maximum(np.diff(edges), 1)


def change(vectors, lag=1):
    """Cosine distance between each column and the one ``lag`` before it; 0 for the first
    ``lag``."""
    norms = np.linalg.norm(vectors, axis=0)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    similarity = (unit[:, lag:] * unit[:, :-lag]).sum(axis=0)
    return np.concatenate([np.zeros(lag), 1.0 - similarity])


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


def scores(analysis):
    times = np.asarray(analysis["beats"]["times"])
    require_beats(times)
    sequences = beat_sequences(analysis, times, float(analysis["beats"]["period"]))
    varying = [cue for cue in sequences if cue.mean() > 0 and np.ptp(cue) > 0]
    if not varying:
        raise Unavailable("no cue varies from beat to beat")
    return np.mean([phase_contrasts(cue) for cue in varying], axis=0).astype(np.float32)
