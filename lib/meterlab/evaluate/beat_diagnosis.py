"""What beat tracking costs: a split's files grouped by how the tracker did against their
annotated beats, with the arbiter and each signal run on the tracked beats and on the
annotated ones.

Every beat-synchronous signal measures its bars in tracked beats, so a tracker that counts
a 3/4 in dotted quarters, or adds beats inside a held fermata, misleads all of them at
once. For files with beat annotations (``annotations/<name>.beats`` beside the audio
folder, as the embedded corpus and real scores have), each file is put in one of
:data:`CONDITIONS` and every figure is given twice, with tracked and with annotated
beats: what better tracking would be worth, and on which music.
"""

import numpy as np

from ..thirdparty import compat
from .. import config
from . import metrics
from ..analyses.beats import beat_period
from ..engine.file_analysis import FileAnalysis, Unavailable
from ..engine.cache import Cache
from ..data.layout import annotation_path, read_beats
from ..engine.run import map_files
from ..engine.scoring import FileResult, analyse_file
from ..learn.predictor import table_probabilities
from .evaluation import signal_votes
from ..learn.extract import results_table
from ..engine.registry import analysis_module, signal_module

#: An annotated beat over this many times the median inter-beat interval is held (a
#: fermata, a pause): a tracker that keeps its tempo counts extra beats there.
HELD_RATIO = 1.6
#: Tracked and annotated median beat periods this close (absolute log ratio) are one
#: metrical level; 0.1 is 10%, far from the nearest other level (a dotted beat, 1.5).
LEVEL_TOLERANCE = 0.1
#: The file groups, in report order; ``held beats`` is checked first.
CONDITIONS = ("same level", "other level", "held beats")
#: Beat-tracking F-measure tolerance, seconds (the MIREX convention).
FMEASURE_WINDOW = 0.07


def condition(annotated, tracked):
    """Which of :data:`CONDITIONS` a file is in, from its annotated and tracked beat times."""
    intervals = np.diff(annotated)
    if np.any(intervals > HELD_RATIO * np.median(intervals)):
        return "held beats"
    ratio = beat_period(tracked) / np.median(intervals)
    return "same level" if abs(np.log(ratio)) < LEVEL_TOLERANCE else "other level"


def beat_fmeasure(annotated, tracked):
    """Beat F-measure of the tracked beats against the annotated ones: madmom's, whose
    beat evaluation computes it as its onset evaluation does (the rest of that evaluation,
    continuity and information gain, is not needed here)."""
    compat.ensure()
    from madmom.evaluation.onsets import OnsetEvaluation

    return float(OnsetEvaluation(tracked, annotated, window=FMEASURE_WINDOW).fmeasure)


def needs_beats(needs):
    """Whether producers with inputs ``needs`` read the beats, directly or through a
    shared analysis that does (the onset MLP's features)."""
    return any(name == "beats" or (name != "audio" and needs_beats(
        analysis_module(name).NEEDS)) for name in needs)


class AnnotatedBeatAnalysis(FileAnalysis):
    """A file's analysis with its annotated beats in place of the tracked ones.

    Shared analyses that read the beats are computed afresh and never cached (the cache
    holds what the tracked beats gave); all others come from the cache as usual.
    """

    def __init__(self, path, cache, times):
        super().__init__(path, cache)
        times = np.asarray(times, dtype=np.float64)
        self._values["beats"] = {"times": times, "period": beat_period(times),
                                 "available": True}

    def __getitem__(self, name):
        if name not in self._values and needs_beats((name,)):
            module = analysis_module(name)
            self._values[name] = dict(module.compute(self), available=True)
        return super().__getitem__(name)


def diagnose_file(job):
    """One file's record: its condition and beat F-measure, and every signal's scores with
    the tracked beats (from the cache) and with the annotated ones (``error`` set and
    nothing else for a file that cannot be analysed)."""
    path, signals, cache_root = job
    tracked = analyse_file(path, signals, cache_root)
    record = {"path": str(path), "error": tracked.error}
    if tracked.error:
        return record
    cache = Cache(cache_root)
    annotated_times, _ = read_beats(annotation_path(path))
    tracked_times = FileAnalysis(path, cache)["beats"]["times"]
    analysis = AnnotatedBeatAnalysis(path, cache, annotated_times)
    annotated = {}
    for name in signals:
        module = signal_module(name)
        if not needs_beats(module.NEEDS):
            if name in tracked.scores:
                annotated[name] = tracked.scores[name]
            continue
        try:
            annotated[name] = np.asarray(module.scores(analysis), dtype=np.float32)
        except Unavailable:
            pass
    record.update(condition=condition(annotated_times, tracked_times),
                  fmeasure=beat_fmeasure(annotated_times, tracked_times),
                  tracked=tracked.scores, annotated=annotated)
    return record


def _lost(job, cause):
    return {"path": str(job[0]), "error": f"{job[0]}: {cause}"}


def diagnose(entries, signals, workers=1, cache_root=config.CACHE_DIR, progress=True,
             scheduler=None):
    """Diagnose ``entries`` (each with a ``.beats`` annotation).

    Returns
    -------
    dict
        ``tracked`` and ``annotated``: :class:`~meterlab.learn.table.ScoreTable` of the files
        that could be analysed; ``conditions`` and ``fmeasures``: one per row;
        ``problems``: ``(path, cause)`` of the others.
    """
    jobs = [(entry.path, tuple(signals), cache_root) for entry in entries]
    kept, records, problems = [], [], []
    for entry, record in zip(entries, map_files(diagnose_file, jobs, workers, progress,
                                                "diagnose", _lost, scheduler)):
        if record["error"]:
            problems.append((record["path"], record["error"]))
            continue
        kept.append(entry)
        records.append(record)

    def table(kind):
        return results_table(kept, [FileResult(r["path"], scores=r[kind]) for r in records],
                             signals)

    return {"tracked": table("tracked"), "annotated": table("annotated"),
            "conditions": np.array([r["condition"] for r in records], dtype=object),
            "fmeasures": np.array([r["fmeasure"] for r in records]),
            "problems": problems}


def groups(conditions):
    """``{group: mask}``: ``"all"`` files, then each condition's (empty ones left out)."""
    masks = {"all": np.ones(len(conditions), dtype=bool)}
    masks.update({name: conditions == name for name in CONDITIONS if np.any(conditions == name)})
    return masks


def by_condition(meters, probabilities, classes, conditions):
    """:func:`meterlab.evaluate.metrics.summary` of each of :func:`groups`."""
    return {name: metrics.summary(meters[mask], probabilities[mask], classes)
            for name, mask in groups(conditions).items()}


def tracked_and_annotated(diagnosis, probabilities_of, classes):
    """``{group: (summary with tracked beats, summary with annotated beats)}`` of one
    predictor, ``probabilities_of(table) -> (files, classes)``."""
    tracked, annotated = (by_condition(diagnosis[kind].meters, probabilities_of(diagnosis[kind]),
                                       classes, diagnosis["conditions"])
                          for kind in ("tracked", "annotated"))
    return {group: (tracked[group], annotated[group]) for group in tracked}


def arbiter_comparison(diagnosis, predictor, prior, classes):
    """:func:`tracked_and_annotated` of the arbiter under ``prior``."""
    return tracked_and_annotated(
        diagnosis, lambda table: table_probabilities(table, predictor, prior, classes), classes)


def signal_comparisons(diagnosis, classes):
    """``{signal: tracked_and_annotated}`` of each signal alone that reads the beats."""
    def votes(j):
        return lambda table: signal_votes(table, j, classes)

    return {name: tracked_and_annotated(diagnosis, votes(j), classes)
            for j, name in enumerate(diagnosis["tracked"].signals)
            if needs_beats(signal_module(name).NEEDS)}


def mean_fmeasures(diagnosis):
    """``{group: mean beat F-measure}`` of each of :func:`groups`."""
    return {name: float(diagnosis["fmeasures"][mask].mean())
            for name, mask in groups(diagnosis["conditions"]).items()}
