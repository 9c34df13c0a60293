"""madmom's downbeat network and the trained tracker side by side on annotated files:
mir_eval beat F-measure, downbeat F-measure, and the share of files tracked at the
annotated metrical level.

Both are decoded alike: beats by the same DBN beat tracking (``madmom_beats`` and the
shared ``beats``), downbeats by :func:`.decode.downbeat_times` on each network's
activations, so the figures compare the networks, not their decoders. A third row reads
the downbeats the bar model (:mod:`meterlab.signals.bar_model`) finds among the tracker's
beats, where its checkpoint can read them.
"""
from .. import config
from ..engine.file_analysis import FileAnalysis, Unavailable
from ..engine.audio import AudioError
from ..engine.cache import Cache
from ..data.layout import annotation_path, read_beats
from ..engine.run import map_files

from . import decode
from ..signals import bar_model
from ..evaluate import beat_metrics

#: (name, beats analysis, activations analysis) of each tracker compared.
TRACKERS = (("madmom", "madmom_beats", "madmom_activations"),
            ("tracker", "beats", "tracker_activations"))
#: The row of the tracker's beats with the bar model's downbeats.
BAR_MODEL = "tracker + bar model"


def _bar_model_scores(analysis, times, positions):
    """The bar model's row of one file, or ``None`` where the bar model cannot read it."""
    try:
        downbeats = bar_model.downbeat_times(analysis)
        return beat_metrics.file_scores(times, times[positions == 1], analysis["beats"]["times"], downbeats)
    except Unavailable:
        return None


def compare_file(job):
    """``{tracker: file_scores}`` of one annotated file (a tracker that cannot run is left out)."""
    path, cache_root = job
    times, positions = read_beats(annotation_path(path))
    record = {"path": str(path)}
    try:
        analysis = FileAnalysis(path, Cache(cache_root))
        for name, beats, activations in TRACKERS:
            try:
                act = analysis[activations]
                tracked = analysis[beats]["times"]
            except Unavailable:
                continue
            downbeats = decode.downbeat_times(act["activations"], int(act["fps"]))
            record[name] = beat_metrics.file_scores(times, times[positions == 1], tracked, downbeats)
        scores = _bar_model_scores(analysis, times, positions)
        if scores is not None:
            record[BAR_MODEL] = scores
    except AudioError as error:
        record["error"] = str(error)
    return record


def _lost(job, cause):
    return {"path": str(job[0]), "error": cause}


def compare(entries, workers=1, cache_root=config.CACHE_DIR, progress=True, scheduler=None):
    """``{tracker: {"files", "beat_f", "downbeat_f", "level"}}`` over ``entries``
    (each with a ``.beats`` annotation)."""
    jobs = [(entry.path, cache_root) for entry in entries]
    records = list(map_files(compare_file, jobs, workers, progress, "trackers", _lost,
                             scheduler))
    summary = {}
    for name in [name for name, _, _ in TRACKERS] + [BAR_MODEL]:
        scored = [r[name] for r in records if name in r]
        if scored:
            summary[name] = {"files": len(scored), **beat_metrics.mean_scores(scored)}
    return summary
