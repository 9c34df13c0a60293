"""How good the beats a prediction shows are: downbeat F-measure against the annotations
and, where the builder knows it (the corpus's 5 and 7), grouping accuracy.

Each file is decoded once with the meter it is judged at (the predicted one, as a user
sees it, or the annotated one, which isolates the decoding from meter errors); its
grouping is read with every accent curve of :data:`meterlab.bars.ACCENTS`, so the curve
predictions use can be chosen on a tuning split and checked on the test split.
"""
import json
from pathlib import Path

import numpy as np

from . import config
from .bars import ACCENTS, DEFAULT_ACCENT, SOURCE, decode
from .data.build.corpus import PARAMS_NAME
from .data.layout import annotation_path, read_beats
from .dsp.bar_decoding import GROUPED_METERS, bar_grouping
from .engine.audio import AudioError
from .engine.cache import Cache
from .engine.file_analysis import FileAnalysis, Unavailable
from .engine.run import map_files
from .evaluate.beat_metrics import fmeasure


def known_groupings(entries):
    """``{path: grouping}`` of the entries whose dataset folder records each clip's
    grouping (the corpus builder's ``corpus.json``)."""
    found = {}
    for entry in entries:
        params = Path(entry.path).parent.parent / PARAMS_NAME
        if params.is_file():
            clip = json.loads(params.read_text())["clips"].get(Path(entry.path).stem, {})
            if "grouping" in clip:
                found[str(entry.path)] = tuple(clip["grouping"])
    return found


def saved_meters(entries, path):
    """The meter an earlier run predicted for each entry: ``path`` is predict's JSON or
    an eval run (``data/runs/*.json``), both a ``files`` list of ``path`` and
    ``predicted``. Files are matched by name, as the run may have read another copy of
    the dataset; an entry the run lacks gets ``None``."""
    files = json.loads(Path(path).read_text())["files"]
    by_name = {}
    for answer in files:
        name = Path(answer["path"]).name
        if name in by_name:
            raise ValueError(f"{path}: two files named {name}; cannot match them by name")
        by_name[name] = answer.get("predicted")
    return [by_name.get(Path(entry.path).name) for entry in entries]


def file_report(job):
    """``{"downbeat_f", "grouping": {accent: tuple or None}}`` of one file decoded with
    ``meter``; ``{"error": cause}`` when its activations cannot be had."""
    path, meter, cache_root, source = job
    try:
        analysis = FileAnalysis(path, Cache(cache_root))
        beats = decode(analysis, meter, source)
    except (AudioError, Unavailable) as error:
        return {"error": str(error)}
    times, positions = read_beats(annotation_path(path))
    report = {"downbeat_f": fmeasure(times[positions == 1], beats[beats[:, 1] == 1, 0]),
              "grouping": {}}
    if meter in GROUPED_METERS:
        for name, curve_of in ACCENTS.items():
            try:
                curve, fps = curve_of(analysis, source)
            except Unavailable:
                report["grouping"][name] = None
                continue
            found = bar_grouping(beats, curve, fps, meter)
            report["grouping"][name] = tuple(found) if found else None
    return report


def _lost(job, cause):
    return {"error": cause}


def beat_report(entries, meters, workers=1, cache_root=config.CACHE_DIR, progress=True,
                scheduler=None, source=SOURCE):
    """Per-file reports (:func:`file_report`) of ``entries`` decoded with ``meters``
    (one per entry; ``None`` for a file with no answer, left out) from ``source``
    (:data:`meterlab.bars.SOURCES`), in order."""
    jobs = [(str(entry.path), int(meter), cache_root, source)
            for entry, meter in zip(entries, meters) if meter is not None]
    reports = iter(map_files(file_report, jobs, workers, progress, "beat report", _lost,
                             scheduler))
    return [next(reports) if meter is not None else {"error": "no meter predicted"}
            for meter in meters]


def summary_rows(entries, meters, reports, groupings):
    """Table rows ``[what, files, value]``: mean downbeat F over every file (a file with
    no answer counts 0), then per grouped meter and accent the share of clips with a
    known grouping whose grouping was found (a clip judged at another meter counts wrong).
    The accent predictions use is marked."""
    scores = [report.get("downbeat_f", 0.0) for report in reports]
    rows = [["downbeat F-measure (mir_eval, ±70 ms)", len(scores), f"{np.mean(scores):.3f}"]]
    for grouped in GROUPED_METERS:
        judged = [(str(entry.path), meter, report) for entry, meter, report
                  in zip(entries, meters, reports)
                  if entry.meter == grouped and str(entry.path) in groupings]
        if not judged:
            continue
        for accent in ACCENTS:
            right = sum(meter == grouped and report.get("grouping", {}).get(accent)
                        == groupings[path] for path, meter, report in judged)
            mark = " (used)" if accent == DEFAULT_ACCENT else ""
            rows.append([f"grouping of {grouped}, {accent} accents{mark}", len(judged),
                         f"{right / len(judged):.1%}"])
    return rows
