"""Standard beat metrics: mir_eval's beat F-measure (±70 ms) for beats and for downbeats,
and whether the tracked beats are at the annotated metrical level.

mir_eval.beat.f_measure is called directly, without ``trim_beats`` (mir_eval.beat.evaluate
drops the first 5 s, which would leave little of a 20 s excerpt).
"""
import numpy as np

from ..analyses.beats import beat_period
from .beat_diagnosis import LEVEL_TOLERANCE


def fmeasure(annotated, tracked):
    """mir_eval's F-measure of ``tracked`` event times against ``annotated`` ones."""
    import mir_eval

    annotated, tracked = np.asarray(annotated, float), np.asarray(tracked, float)
    if len(annotated) == 0 or len(tracked) == 0:
        return 0.0
    return float(mir_eval.beat.f_measure(annotated, tracked))


def same_level(annotated, tracked):
    """Whether the tracked median beat period is the annotated one (within
    :data:`meterlab.evaluate.beat_diagnosis.LEVEL_TOLERANCE`)."""
    if len(tracked) < 2:
        return False
    return bool(abs(np.log(beat_period(tracked) / np.median(np.diff(annotated)))) < LEVEL_TOLERANCE)


def file_scores(annotated_beats, annotated_downbeats, beats, downbeats):
    """``{"beat_f", "downbeat_f", "level"}`` of one file."""
    return {"beat_f": fmeasure(annotated_beats, beats),
            "downbeat_f": fmeasure(annotated_downbeats, downbeats),
            "level": float(same_level(annotated_beats, beats))}


def mean_scores(records):
    """The mean of each of :func:`file_scores`' figures over ``records``."""
    return {key: float(np.mean([r[key] for r in records])) for key in ("beat_f", "downbeat_f", "level")}
