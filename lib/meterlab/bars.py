"""What a prediction shows besides the meter: beats, downbeats, tempo and grouping.

Runs after the arbiter has chosen the meter, per file, on cached analyses (the tracked
beats and the bar model's cues, or a network's activations, and the curve the grouping
is read from), so it costs a decoding (or the bar model's small pass over the beats), not
an audio pass. The maths is in :mod:`meterlab.dsp.bar_decoding` and
:mod:`meterlab.signals.bar_model`.
"""
import numpy as np

from . import config
from .analyses.beats import beat_period
from .dsp.bar_decoding import GROUPED_METERS, bar_grouping, decode_bars
from .engine.audio import AudioError
from .engine.cache import Cache
from .engine.file_analysis import FileAnalysis, Unavailable
from .engine.run import map_files
from .signals import bar_model


#: The bar model's source: the shared (tracked) beats, numbered from the downbeats the
#: bar model finds among them for the chosen meter.
BAR_MODEL = "bar_model"
#: What the reported beats are decoded from: the bar model, or a network's activations in
#: madmom's form (columns beat, downbeat) decoded by the DBN with the meter's bar length.
SOURCES = (BAR_MODEL, "tracker_activations", "madmom_activations")
#: The source predictions use. Chosen on the tuning files, decoded with the annotated meter,
#: each read by a bar model that never trained on it (``scripts/beat_report.py --split
#: tuning --meters given --source NAME``): mean downbeat F-measure 0.758 on the real scores
#: and 0.900 on the corpus (groupings of its 5s and 7s 84.4% / 81.2%) against 0.721 and
#: 0.818 (79.2% / 59.4%) for the DBN on the tracker's activations.
SOURCE = BAR_MODEL
#: The trained tracker's activations: the downbeat curve of the bar model's beats.
TRACKER = "tracker_activations"


def activations(analysis, source=SOURCE):
    """``(activations (frames, 2), fps)`` behind ``source``: the trained tracker's for the
    bar model (whose beats are tracked on them)."""
    shared = analysis[TRACKER if source == BAR_MODEL else source]
    return shared["activations"], float(shared["fps"])


def decode(analysis, meter, source=SOURCE):
    """``[time_s, position]`` rows of one file's beats in bars of ``meter`` beats."""
    if source == BAR_MODEL:
        return bar_model.numbered_beats(analysis, (int(meter),))
    return decode_bars(*activations(analysis, source), meter)


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


def bar_answer(analysis, meter, accent=DEFAULT_ACCENT, source=SOURCE):
    """``{"tempo", "beats", "downbeats", "grouping"}`` of one file for its chosen ``meter``.

    Parameters
    ----------
    analysis : meterlab.engine.file_analysis.FileAnalysis
    meter : int
        Beats per bar to decode with.
    accent : str
        Key of :data:`ACCENTS`: the curve the grouping of a 5 or 7 is read from.
    source : str
        One of :data:`SOURCES`: what the beats are decoded from.

    Returns
    -------
    dict
        ``tempo`` (bpm from the median inter-beat interval, ``None`` with under two
        beats), ``beats`` (``[time_s, position_in_bar]`` lists), ``downbeats`` (times),
        ``grouping`` (group lengths for 5 and 7, else ``None``).
    """
    beats = decode(analysis, meter, source)
    period = beat_period(beats[:, 0])
    grouping = _grouping(analysis, beats, meter, accent, source)
    return {"tempo": None if np.isnan(period) else 60.0 / period,
            "beats": [[round(float(t), 3), int(p)] for t, p in beats],
            "downbeats": [round(float(t), 3) for t, p in beats if p == 1],
            "grouping": list(grouping) if grouping else None}


def _grouping(analysis, beats, meter, accent, source):
    """:func:`meterlab.dsp.bar_decoding.bar_grouping` on the ``accent`` curve; ``None``
    where there is nothing to group or the curve's analysis cannot run on this file."""
    if meter not in GROUPED_METERS or not len(beats):
        return None
    try:
        curve, fps = ACCENTS[accent](analysis, source)
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
