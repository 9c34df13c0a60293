"""Beat This!'s beat and downbeat activations, decoded once per candidate meter."""
from ..analyses import beat_this_activations
from ..dsp.meter_decoding import dbn_meter_scores
from ..thirdparty.beat_this import madmom_columns

NEEDS = ("beat_this_activations",)
LIBRARIES = ("beat-this", "torch")


def model_file():
    """The analysis's checkpoint, so that replacing it invalidates these scores too."""
    return beat_this_activations.model_file()


def scores(analysis):
    shared = analysis["beat_this_activations"]
    return dbn_meter_scores(madmom_columns(shared["activations"]), float(shared["fps"]))
