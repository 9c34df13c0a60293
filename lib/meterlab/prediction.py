"""Prediction on a user's own audio: files, folders and manifests in; one record per file out.

Every file asked for gets a record, in the order given: the predicted meter, every class's
probability, a confidence, each signal's own top meter, and the beats, downbeats, tempo
and grouping of the predicted meter (:mod:`meterlab.bars`), or the error that kept it from
being analysed. Records are written as CSV or JSON (atomically) and summarised for the
terminal in a form that stays readable for one file and for thousands.
"""
import csv
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import config
from .bars import bar_answers, no_answer
from .learn import priors
from .engine.atomic import atomic_open, write_json
from .data.datasets import Entry, read_manifest, song_id_from_path
from .engine.scoring import run_files
from .learn.extract import results_table
from .learn.predictor import table_probabilities
from .formats import is_audio, is_unsupported_audio, unsupported_cause

#: Files given on the command line with this suffix are manifests, not audio.
MANIFEST_SUFFIX = ".csv"
OUTPUT_SUFFIXES = (".csv", ".json")


@dataclass
class Inputs:
    """What the paths given hold: the files to predict and what was left aside."""

    entries: list = field(default_factory=list)
    #: Extension -> count of files in the folders that are not audio (not predicted).
    ignored: Counter = field(default_factory=Counter)
    #: ``(where, cause)`` of manifest rows left out (the same file listed twice).
    problems: list = field(default_factory=list)
    #: ``{path: cause}`` of manifest rows kept, unanalysed, for their cause (a bad label).
    causes: dict = field(default_factory=dict)


def collect_inputs(paths):
    """The files to predict under ``paths``: files, folders (searched recursively, sorted)
    and CSV manifests (``path[,meter]...``), each file once, in the order given.

    In folders, audio the decoder cannot read (``.m4a``) is kept, to be reported per file;
    other files (cover art, notes) are only counted.
    """
    inputs = Inputs()
    seen = set()

    def add(entry, cause=None):
        key = os.path.realpath(entry.path)
        if key not in seen:
            seen.add(key)
            inputs.entries.append(entry)
            if cause:
                inputs.causes[entry.path] = cause

    for path in map(Path, paths):
        if path.is_dir():
            for folder, folders, files in os.walk(path, followlinks=True):
                folders.sort()
                for name in sorted(files):
                    found = Path(folder) / name
                    if is_audio(found) or is_unsupported_audio(found):
                        add(_unlabelled(found))
                    else:
                        inputs.ignored[found.suffix.lower() or "(no extension)"] += 1
        elif path.suffix.lower() == MANIFEST_SUFFIX and path.is_file():
            manifest = read_manifest(path, labelled=False)
            rejected = {manifest.problem_paths[where]: f"{where}: {cause}"
                        for where, cause in manifest.problems if where in manifest.problem_paths}
            inputs.problems += [problem for problem in manifest.problems
                                if problem[0] not in manifest.problem_paths]
            for entry in sorted(manifest.entries + [_unlabelled(file) for file in rejected]):
                add(entry, rejected.get(entry.path))
        else:
            add(_unlabelled(path))
    return inputs


def _unlabelled(path):
    return Entry(path, None, "", song_id_from_path(path))


def predict(entries, predictor, workers=1, cache_root=config.CACHE_DIR, progress=True,
            scheduler=None, prior=None, causes=None):
    """A record per entry (see :func:`record`), through the engine and its cache, with the
    class probabilities under ``prior`` (``None``: the default,
    :func:`meterlab.learn.priors.choose_prior`); entries in ``causes`` (``{path: cause}``) are
    not analysed, their record gives the cause."""
    prior = prior or priors.choose_prior(None, predictor.classes)
    causes = causes or {}
    decodable = [entry for entry in entries
                 if not is_unsupported_audio(entry.path) and entry.path not in causes]
    results = dict(zip((entry.path for entry in decodable),
                       run_files([entry.path for entry in decodable], predictor.signals,
                                 workers, cache_root, progress, "predicting", scheduler)))
    usable = [entry for entry in decodable if not results[entry.path].error]
    table = results_table(usable, [results[entry.path] for entry in usable], predictor.signals)
    probabilities = dict(zip((entry.path for entry in usable),
                             table_probabilities(table, predictor, prior)))
    records = [record(entry, results.get(entry.path), probabilities.get(entry.path),
                      predictor, causes.get(entry.path)) for entry in entries]
    answered = [answer for answer in records if answer["predicted"] is not None]
    for answer, bars in zip(answered, bar_answers(
            [(answer["path"], answer["predicted"]) for answer in answered], workers,
            cache_root, progress, scheduler=scheduler)):
        answer.update(bars)
    return records


def record(entry, result, probabilities, predictor, cause=None):
    """One file's answer: ``predicted``, ``confidence`` (the top probability),
    ``probabilities``, ``signals`` (each signal's top meter among the predictor's
    classes, ``None`` where it had no answer), ``signal_notes``, ``error`` (``cause``
    when the file was not analysed for it), ``seconds`` (how long the file took), and
    empty ``tempo``, ``beats``, ``downbeats`` and ``grouping`` (see
    :func:`meterlab.bars.bar_answer`), which :func:`predict` fills for the predicted meter."""
    answer = {"path": str(entry.path), "source": entry.source, "meter": entry.meter,
              "predicted": None, "confidence": None, "probabilities": {}, "signals": {},
              "signal_notes": {}, "error": None,
              "seconds": result.seconds if result is not None else None, **no_answer()}
    if cause:
        answer["error"] = cause
        return answer
    if result is None or result.error:
        answer["error"] = _cause(result.error, entry.path) if result else unsupported_cause(
            entry.path)
        return answer
    if not result.scores:
        answer["error"] = "no signal could score this file: " + "; ".join(
            f"{name}: {why}" for name, why in {**result.unavailable, **result.failed}.items())
        return answer
    best = int(np.argmax(probabilities))
    answer.update(predicted=predictor.classes[best], confidence=float(probabilities[best]),
                  probabilities={meter: float(p)
                                 for meter, p in zip(predictor.classes, probabilities)})
    columns = [config.CANDIDATE_METERS.index(meter) for meter in predictor.classes]
    for name in predictor.signals:
        if name in result.scores:
            scores = np.asarray(result.scores[name])[columns]
            answer["signals"][name] = predictor.classes[int(np.argmax(scores))]
        else:
            answer["signals"][name] = None
            answer["signal_notes"][name] = (result.unavailable.get(name)
                                            or f"failed: {result.failed.get(name)}")
    return answer


def _cause(error, path):
    """The engine's error without the file name it starts with (the row names the file)."""
    prefix = f"{path}: "
    return error[len(prefix):] if error.startswith(prefix) else error


def check_output_path(path):
    """Refuse an output name whose format is unknown before any work is done."""
    if Path(path).suffix.lower() not in OUTPUT_SUFFIXES:
        raise ValueError(f"{path}: --out must end in .csv or .json")


def write_records(records, path, predictor, prior):
    """``records`` as CSV (one row per file) or JSON (with the predictor's description
    and the class prior)."""
    path = Path(path)
    check_output_path(path)
    if path.suffix.lower() == ".json":
        write_json(path, {"arbiter": describe_predictor(predictor),
                          "prior": prior.describe(predictor.classes),
                          "classes": list(predictor.classes),
                          "signals": list(predictor.signals), "files": records})
        return
    with atomic_open(path, "w") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(csv_header(records, predictor))
        writer.writerows(csv_row(answer, records, predictor) for answer in records)


def _labelled(records):
    return any(answer["meter"] is not None for answer in records)


def _with_source(records):
    return any(answer["source"] for answer in records)


def csv_header(records, predictor):
    return (["path"] + (["source"] if _with_source(records) else [])
            + (["meter"] if _labelled(records) else []) + ["predicted", "confidence"]
            + [f"p_{meter}" for meter in predictor.classes]
            + ["tempo", "grouping"]
            + [f"top_{name}" for name in predictor.signals] + ["seconds", "error"])


def csv_row(answer, records, predictor):
    def cell(value, fmt="{}"):
        return "" if value is None else fmt.format(value)

    return ([answer["path"]] + ([cell(answer["source"])] if _with_source(records) else [])
            + ([cell(answer["meter"])] if _labelled(records) else [])
            + [cell(answer["predicted"]), cell(answer["confidence"], "{:.4f}")]
            + [cell(answer["probabilities"].get(meter), "{:.4f}") for meter in predictor.classes]
            + [cell(answer["tempo"], "{:.1f}"), format_grouping(answer["grouping"])]
            + [cell(answer["signals"].get(name)) for name in predictor.signals]
            + [cell(answer["seconds"], "{:.3g}"), cell(answer["error"])])


def format_grouping(grouping):
    """``"2+2+3"``; ``""`` for no grouping."""
    return "+".join(map(str, grouping)) if grouping else ""


def describe_predictor(predictor):
    """Which model answered, in words (see :class:`meterlab.learn.predictor.Origin`)."""
    return predictor.origin.describe()


def summary_rows(records):
    """``[meter or cause, files, share]``: files per predicted meter, then failures."""
    counts = Counter(answer["predicted"] for answer in records)
    total = len(records)
    rows = [[f"{meter} beats per bar", counts[meter], f"{counts[meter] / total:.0%}"]
            for meter in sorted(meter for meter in counts if meter is not None)]
    if counts[None]:
        rows.append(["could not be analysed", counts[None], f"{counts[None] / total:.0%}"])
    return rows


def agreement(records):
    """``(agreeing, labelled and predicted)`` for records whose true meter was given."""
    judged = [answer for answer in records
              if answer["meter"] is not None and answer["predicted"] is not None]
    return sum(answer["predicted"] == answer["meter"] for answer in judged), len(judged)


def display_rows(records, classes, limit):
    """The first ``limit`` records as table rows: path, meter, confidence,
    probabilities, and the error for files that could not be analysed."""
    rows = []
    for answer in records[:limit]:
        probabilities = [f"{answer['probabilities'][meter]:.0%}" if answer["predicted"]
                         else "" for meter in classes]
        rows.append([answer["path"], answer["predicted"] or "-",
                     "" if answer["confidence"] is None else f"{answer['confidence']:.0%}",
                     *probabilities, format_seconds(answer["seconds"]), answer["error"] or ""])
    return rows


def display_header(classes):
    return ["file", "meter", "confidence", *[f"p({meter})" for meter in classes], "time",
            "error"]


def format_seconds(seconds):
    """How long a file took, for the terminal: ``0.4 s``, ``12 min 5 s``; ``""`` if unknown."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def unavailable_signals(records):
    """``{signal: (files, one reason)}`` for signals that gave no answer on some files."""
    counts, reasons = Counter(), {}
    for answer in records:
        for name, note in answer["signal_notes"].items():
            counts[name] += 1
            reasons.setdefault(name, note)
    return {name: (counts[name], reasons[name]) for name in counts}
