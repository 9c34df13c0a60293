"""What a prediction shows besides the meter: beats, downbeats, tempo and grouping.

Runs after the arbiter has chosen the meter, per file, on cached analyses (the trained
tracker's activations, and the curve the grouping is read from), so it costs a decoding,
not a network pass. The maths is in :mod:`meterlab.dsp.bar_decoding`.
"""
import numpy as np

from . import config
from .analyses.beats import beat_period
from .dsp.bar_decoding import GROUPED_METERS, bar_grouping, decode_bars
from .engine.audio import AudioError
from .engine.cache import Cache
from .engine.file_analysis import FileAnalysis, Unavailable
from .engine.run import map_files


#: The analysis whose beat and downbeat activations the reported beats (and the downbeat
#: accent curve) come from: the trained tracker's. Chosen on the real-score validation
#: split and the corpus's tuning split, decoded with the annotated meter (mean downbeat
#: F-measure; grouping of the corpus's 5s and 7s with the downbeat curve): the tracker
#: 0.738 and 0.818, 79% / 59%; madmom's network 0.712 and 0.800, 83% / 62%. The
#: downbeats of every meter were preferred to the grouping of the synthetic 5s and 7s
#: (``scripts/beat_report.py --meters given --activations NAME``).
ACTIVATIONS = "tracker_activations"
#: The analyses in madmom's form (columns beat, downbeat) the beats can be decoded from.
SOURCES = ("tracker_activations", "madmom_activations")


def activations(analysis, source=ACTIVATIONS):
    """``(activations (frames, 2), fps)`` of ``source``, the beats' decoding input."""
    shared = analysis[source]
    return shared["activations"], float(shared["fps"])


def _downbeat_curve(analysis, source):
    values, fps = activations(analysis, source)
    return values[:, 1], fps


def _onset_curve(analysis, source):
    onset = analysis["onset"]
    return onset["envelope"], float(onset["fps"])


def _bass_curve(analysis, source):
    """Bass novelty: how much new bass-note energy each frame brings."""
    bass = analysis["bass"]
    rise = np.maximum(np.diff(bass["bass"], axis=1, prepend=0.0), 0.0)
    return rise.sum(axis=0), float(bass["fps"])


#: Accent curves the grouping can be read from: name -> ``(analysis, source) -> (curve,
#: fps)``, ``source`` the activations the beats were decoded from (the downbeat curve is
#: theirs).
ACCENTS = {"downbeat": _downbeat_curve, "onset": _onset_curve, "bass": _bass_curve}
#: The one predictions use: a downbeat network, trained to fire on bar starts, also fires,
#: more weakly, on the group starts that split an odd bar. Chosen on the corpus's tuning
#: split, where it found the grouping of 79% of the 5s and 59% of the 7s (onsets 72% /
#: 55%, bass 68% / 44%; chance 50% / 33%; with madmom's network decoding, 83% / 62%
#: against 75% / 57% and 69% / 48%), with no analysis beyond the activations
#: (``scripts/beat_report.py --split tuning --classes 5,7 --meters given``).
DEFAULT_ACCENT = "downbeat"


def no_answer():
    """The keys of :func:`bar_answer` for a file with no beats."""
    return {"tempo": None, "beats": [], "downbeats": [], "grouping": None}


def bar_answer(analysis, meter, accent=DEFAULT_ACCENT):
    """``{"tempo", "beats", "downbeats", "grouping"}`` of one file for its chosen ``meter``.

    Parameters
    ----------
    analysis : meterlab.engine.file_analysis.FileAnalysis
    meter : int
        Beats per bar to decode with.
    accent : str
        Key of :data:`ACCENTS`: the curve the grouping of a 5 or 7 is read from.

    Returns
    -------
    dict
        ``tempo`` (bpm from the median inter-beat interval, ``None`` with under two
        beats), ``beats`` (``[time_s, position_in_bar]`` lists), ``downbeats`` (times),
        ``grouping`` (group lengths for 5 and 7, else ``None``).
    """
    beats = decode_bars(*activations(analysis), meter)
    period = beat_period(beats[:, 0])
    grouping = _grouping(analysis, beats, meter, accent)
    return {"tempo": None if np.isnan(period) else 60.0 / period,
            "beats": [[round(float(t), 3), int(p)] for t, p in beats],
            "downbeats": [round(float(t), 3) for t, p in beats if p == 1],
            "grouping": list(grouping) if grouping else None}


def _grouping(analysis, beats, meter, accent):
    """:func:`meterlab.dsp.bar_decoding.bar_grouping` on the ``accent`` curve; ``None``
    where there is nothing to group or the curve's analysis cannot run on this file."""
    if meter not in GROUPED_METERS or not len(beats):
        return None
    try:
        curve, fps = ACCENTS[accent](analysis, ACTIVATIONS)
    except Unavailable:
        return None
    return bar_grouping(beats, curve, fps, meter)


def _answer_job(job):
    path, meter, cache_root, accent = job
    try:
        return bar_answer(FileAnalysis(path, Cache(cache_root)), meter, accent)
    except (AudioError, Unavailable):
        return no_answer()


def _lost(job, cause):
    return no_answer()


def bar_answers(paths_and_meters, workers=1, cache_root=config.CACHE_DIR, progress=True,
                accent=DEFAULT_ACCENT, scheduler=None):
    """:func:`bar_answer` of every ``(path, meter)``, in order, on ``workers`` processes;
    a file whose activations cannot be had gets no beats (:func:`no_answer`)."""
    jobs = [(str(path), int(meter), cache_root, accent) for path, meter in paths_and_meters]
    return list(map_files(_answer_job, jobs, workers, progress, "beats", _lost, scheduler))
