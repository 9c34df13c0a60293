"""Harmonic change every ``k`` beats: Harte's harmonic change detection function (HCDF).

Chords tend to change on downbeats and hold through the bar, so the beats where
harmony moves recur with the bar's period. Following Harte, Sandler and Gasser (2006),
chroma is projected onto the 6-D tonal centroid (tonnetz), smoothed, and the HCDF is
the Euclidean distance between the centroids just before and just after each frame.
Taking its peak around each beat gives one harmonic-change value per beat.

For a meter ``k`` the beats are split into ``k`` phases (beat index mod ``k``); the
score is how far the phase with the most change stands above the other phases,
relative to the mean change. Multiples of the true bar (12 for 4) dilute the best
phase's contrast with other downbeat phases, and divisors (2 for 4) mix downbeats with
mid-bar beats, so both score below the true bar. The contrast a random beat sequence
would reach (larger for long bars, whose phases have few beats) is subtracted, and a
bar that does not fit twice into the beats gets no score.
"""
import librosa
import numpy as np
from scipy.ndimage import gaussian_filter1d

from .. import config
from ..analyses.beats import require_beats
from ..engine.file_analysis import Unavailable
from ..dsp.curves import peaks_near, phase_contrasts

NEEDS = ("beats", "chroma")
LIBRARIES = ("librosa", "scipy")

#: Gaussian smoothing (sigma) of the tonal centroid, in beat periods: enough to ignore
#: the notes and arpeggios within a chord. Tuned on the training split (0.125-1 tried).
SMOOTHING_BEATS = 0.5
#: Each beat's change is the HCDF peak within this many beat periods either side: room
#: for the beat tracker's timing error without reaching the neighbouring beats' changes
#: (0-0.5 tried on the training split).
BEAT_WINDOW = 0.1


def tonal_centroid(chroma):
    """6-D tonal centroid per frame; silent frames (zero chroma) sit at the origin."""
    return np.nan_to_num(librosa.feature.tonnetz(chroma=chroma))


def harmonic_change(chroma, smoothing_frames):
    """HCDF: distance between the smoothed centroids one frame before and after."""
    centroid = gaussian_filter1d(tonal_centroid(chroma), smoothing_frames, axis=1)
    padded = np.pad(centroid, ((0, 0), (1, 1)), mode="edge")
    return np.linalg.norm(padded[:, 2:] - padded[:, :-2], axis=0)


def meter_contrasts(values, meters=config.CANDIDATE_METERS):
    """:func:`meterlab.dsp.curves.phase_contrasts` of the per-beat harmonic change."""
    if values.mean() <= 0:
        raise Unavailable("no harmonic change at any beat")
    return phase_contrasts(values, meters)


def scores(analysis):
    times = np.asarray(analysis["beats"]["times"])
    require_beats(times)
    shared = analysis["chroma"]
    fps = float(shared["fps"])
    period_frames = float(analysis["beats"]["period"]) * fps
    change = harmonic_change(shared["chroma"], SMOOTHING_BEATS * period_frames)
    values = peaks_near(change, times * fps, BEAT_WINDOW * period_frames)
    return meter_contrasts(values).astype(np.float32)
