"""The bar model's meter scores: how likely each bar length makes the beats' downbeat
probabilities (:mod:`meterlab.learn.bar_model`).

A downbeat network sees frames, and the DBN that decodes it weighs each frame's
activation; in music without drums the downbeat activation is weak, and the DBN then
counts the wrong bar length or puts the bar line on the half bar. What marks a bar there
is spread over the beats: a new bass note, harmony that moves, a longer note, a louder
attack. So the bar model reads :data:`CUES` once per tracked beat, from cached analyses
only (no audio pass). The same reading numbers a prediction's beats (:mod:`meterlab.bars`).
"""
from functools import lru_cache

import numpy as np

from .. import config
from ..dsp.bar_decoding import beat_accents
from ..dsp.meter_decoding import scores_from_log_probs
from ..engine.file_analysis import Unavailable
from ..engine.versions import analysis_libraries, analysis_version
from ..learn import bar_model
from ..learn.cross_fitting import model_for
from .beat_pattern import beat_means, change

NEEDS = ("beats", "tracker_activations", "madmom_activations", "onset", "chroma", "bass")
LIBRARIES = ("torch",)
#: What is read at each beat, in the order of the network's input.
CUES = ("tracker beat", "tracker downbeat", "madmom downbeat", "onset accent", "loudness",
        "harmony change", "bass change", "harmony change over two beats", "bass energy",
        "beat length")
#: Files with fewer tracked beats than this hold no bar to read.
MIN_BEATS = 4


def model_file():
    """The committed checkpoint (read at call time: tests repoint it); its hash is in
    this signal's version, so retraining invalidates exactly these scores."""
    return bar_model.CHECKPOINT


def _relative(values):
    """``values`` over their mean magnitude: loudness and accent compare across files."""
    scale = np.mean(np.abs(values))
    return values / scale if scale > 0 else values


def beat_cues(analysis, times):
    """``(beats, len(CUES))`` float32: :data:`CUES` at each of ``times`` (tracked beats).

    Harmony and bass are averaged over the span from each beat to the next (the last one
    is given the median beat length)."""
    tracker, madmom = analysis["tracker_activations"], analysis["madmom_activations"]
    onset, chroma, bass = analysis["onset"], analysis["chroma"], analysis["bass"]
    period = np.median(np.diff(times))
    edges = np.append(times, times[-1] + period)
    harmony = beat_means(chroma["chroma"], edges * float(chroma["fps"]))
    bass_line = beat_means(bass["bass"], edges * float(bass["fps"]))
    cues = [beat_accents(times, tracker["activations"][:, 0], float(tracker["fps"])),
            beat_accents(times, tracker["activations"][:, 1], float(tracker["fps"])),
            beat_accents(times, madmom["activations"][:, 1], float(madmom["fps"])),
            _relative(beat_accents(times, onset["envelope"], float(onset["fps"]))),
            _relative(beat_accents(times, onset["rms"], float(onset["fps"]))),
            change(harmony), change(bass_line), change(harmony, lag=2),
            _relative(bass_line.sum(axis=0)), np.log(np.diff(edges) / period)]
    return np.stack(cues, axis=1).astype(np.float32)


def cue_versions(libraries=()):
    """The versions of the analyses the cues are read from, under ``libraries`` (``{name:
    version}``, a checkpoint's) where given: a checkpoint records them, so that another
    tracker, not another torch, makes it stale."""
    return {name: analysis_version(name, libraries) for name in NEEDS}


def cue_libraries():
    """The installed versions of the libraries behind :func:`cue_versions`."""
    return analysis_libraries(NEEDS)


@lru_cache(maxsize=2)
def _checkpoint(path, modified_ns, size):
    """The checkpoint, once per process and version (mtime and size are only cache keys)."""
    return bar_model.load(path, CUES)


def current_checkpoint():
    """The checkpoint in use; :class:`Unavailable` when there is none or it was trained on
    cues of other analyses (another tracker, say)."""
    path = model_file()
    if not path.is_file():
        raise Unavailable(f"no bar model at {path}: run `make bar-model`")
    stat = path.stat()
    checkpoint = _checkpoint(str(path), stat.st_mtime_ns, stat.st_size)
    stale = sorted(name for name, version in cue_versions(checkpoint["libraries"]).items()
                   if checkpoint["analyses"].get(name) != version)
    if stale:
        raise Unavailable(f"the bar model at {path} was trained on other versions of "
                          f"{', '.join(stale)}: run `make bar-model`")
    return checkpoint


def downbeat_probabilities(analysis):
    """``(beat times, each beat's downbeat probability)`` of a file, by the model that
    never trained on it."""
    times = np.asarray(analysis["beats"]["times"])
    if len(times) < MIN_BEATS:
        raise Unavailable(f"only {len(times)} tracked beats")
    _, model = model_for(current_checkpoint(), analysis.key)
    return times, bar_model.probabilities(model, beat_cues(analysis, times))


def scores(analysis):
    times, probs = downbeat_probabilities(analysis)
    likelihoods = bar_model.bar_log_likelihoods(probs, config.CANDIDATE_METERS)
    # Per beat, so that long and short files compare.
    return scores_from_log_probs([likelihoods[meter][0] for meter in config.CANDIDATE_METERS],
                                 len(times))


def numbered_beats(analysis, lengths=bar_model.BAR_LENGTHS):
    """``[time_s, position]`` rows of a file's tracked beats, numbered from the downbeat
    of the bar chosen among ``lengths`` (position 1 the downbeat)."""
    times, probs = downbeat_probabilities(analysis)
    length, phase = bar_model.choose_bar(probs, lengths)
    return np.column_stack([times, (np.arange(len(times)) - phase) % length + 1])


def downbeat_times(analysis, lengths=bar_model.BAR_LENGTHS):
    """Downbeat times (s) of a file's tracked beats, the bar chosen among ``lengths``."""
    beats = numbered_beats(analysis, lengths)
    return beats[beats[:, 1] == 1, 0]
