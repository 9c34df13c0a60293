"""Downbeat times from madmom-style activations (frames x [beat, downbeat]): madmom's DBN
downbeat tracker over the bar lengths the tracker was trained on, which picks one bar
length for the clip and places its downbeats. (Beat times come from
:func:`meterlab.analyses.beats.beat_times`.)
"""
import numpy as np

from ..thirdparty import compat

#: Bar lengths (beats) the downbeat decoder chooses among: the felt beats of the training data.
BEATS_PER_BAR = (2, 3, 4, 5, 7)


def downbeat_times(activations, fps, beats_per_bar=BEATS_PER_BAR):
    """Downbeat times (s) of a clip; empty when no beat is found."""
    compat.ensure()
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    processor = DBNDownBeatTrackingProcessor(beats_per_bar=list(beats_per_bar), fps=fps)
    beats = processor(np.asarray(activations, dtype=np.float64))
    return beats[beats[:, 1] == 1, 0] if len(beats) else np.zeros(0)
