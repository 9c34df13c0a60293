"""Beat This!'s beat and downbeat activations, decoded once per candidate meter."""
import numpy as np

from ..analyses import beat_this_activations
from ..dsp.meter_decoding import dbn_meter_scores

NEEDS = ("beat_this_activations",)
LIBRARIES = ("beat-this", "torch")
#: Least probability of each class per frame: about the smallest madmom's own network
#: gives. An exact 0 makes the DBN's log-density -inf and can leave no finite path.
FLOOR = 1e-5


def model_file():
    """The analysis's checkpoint, so that replacing it invalidates these scores too."""
    return beat_this_activations.model_file()


def madmom_columns(activations):
    """[beat, downbeat] -> [beat-but-not-downbeat, downbeat], as madmom's DBN expects.

    Beat This!'s beat activation includes downbeats (its head adds the downbeat logit
    to the beat logit) and its two sigmoids saturate at 0 and 1; madmom's columns are
    two classes of a softmax over beat, downbeat and no beat, all strictly positive.
    So the three classes are formed, floored at ``FLOOR`` and renormalised.
    """
    beat, downbeat = activations[:, 0], activations[:, 1]
    classes = np.stack([np.clip(beat - downbeat, 0.0, 1.0), downbeat,
                        1.0 - np.maximum(beat, downbeat)], axis=1)
    floored = (np.clip(classes, 0.0, 1.0) + FLOOR) / (1.0 + 3 * FLOOR)
    return floored[:, :2]


def scores(analysis):
    shared = analysis["beat_this_activations"]
    return dbn_meter_scores(madmom_columns(shared["activations"]), float(shared["fps"]))
