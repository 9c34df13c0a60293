"""Evaluation: predict every file of a split through the engine and score the predictions."""
import hashlib
from pathlib import Path

import numpy as np

from . import config, metrics
from .arbiter import Arbiter, VoteArbiter
from .cache import producer_version
from .extract import score_table
from .mlp import CheckpointError
from .signals import SIGNALS, signal_module


def load_predictor(checkpoint=None):
    """The arbiter at ``checkpoint``; without one, the default checkpoint or else the vote.

    An explicitly named checkpoint must exist; the default one may be absent (nothing
    trained yet), and then every signal votes (see :class:`VoteArbiter`).
    """
    if checkpoint is not None:
        return Arbiter.load(checkpoint)
    if config.ARBITER_CHECKPOINT.is_file():
        return Arbiter.load(config.ARBITER_CHECKPOINT)
    return VoteArbiter(SIGNALS)


def current_versions(signals):
    return {name: producer_version(signal_module(name).__name__) for name in signals}


def check_versions(predictor):
    """Refuse an arbiter whose signals changed since it was trained (scores would differ)."""
    mismatches = predictor.version_mismatches(current_versions(predictor.signals))
    if mismatches:
        names = ", ".join(sorted(mismatches))
        raise CheckpointError(
            f"{predictor.path}: signal code or models changed since this arbiter was trained "
            f"({names}); re-run `make extract grid` (or `make all`)")


def evaluate(entries, predictor, workers=1, progress=True, cache_root=config.CACHE_DIR,
             scheduler=None):
    """Predict ``entries``; returns the run record (metrics, per-file results)."""
    extraction = score_table(entries, predictor.signals, workers, cache_root, progress,
                             scheduler)
    table = extraction.table
    classes = sorted(set(predictor.classes) | {entry.meter for entry in entries})
    columns = [classes.index(meter) for meter in predictor.classes]
    probabilities = np.full((len(entries), len(classes)), np.nan)
    row_of = {path: row for row, path in enumerate(table.paths)}
    scored = predictor.probabilities(table) if table.paths else np.zeros((0, len(columns)))
    errors = dict(extraction.problems)
    files = []
    for i, entry in enumerate(entries):
        row = row_of.get(str(entry.path))
        if row is not None:
            probabilities[i] = 0.0
            probabilities[i, columns] = scored[row]
        files.append({
            "path": str(entry.path), "meter": entry.meter, "source": entry.source,
            "alt_meter": entry.alt_meter,
            "predicted": None if row is None else classes[int(np.argmax(probabilities[i]))],
            "probabilities": None if row is None else dict(zip(classes, probabilities[i].tolist())),
            "error": errors.get(str(entry.path)),
        })
    truth = [entry.meter for entry in entries]
    alternatives = [entry.alt_meter for entry in entries]
    return {
        "metrics": metrics.summary(truth, probabilities, classes, alternatives),
        "per_source": metrics.per_source(truth, probabilities, classes,
                                         [entry.source for entry in entries], alternatives),
        "per_signal": signal_accuracy(table, classes),
        "files": files,
        "signals": list(predictor.signals),
        "signal_coverage": table.coverage() if table.paths else {},
        "unavailable_reasons": extraction.unavailable_reasons,
        "signal_versions": current_versions(predictor.signals),
        "arbiter": "vote" if predictor.path is None else str(predictor.path),
        "arbiter_sha1": None if predictor.path is None else _sha1(predictor.path),
    }


def signal_votes(table, index, classes):
    """One signal's scores over ``classes`` as its own prediction (NaN where unavailable),
    to report how each signal does alone next to the arbiter."""
    columns = [config.CANDIDATE_METERS.index(meter) for meter in classes]
    votes = table.scores[:, index][:, columns].astype(np.float64)
    votes[~table.available[:, index]] = np.nan
    return votes


def signal_accuracy(table, classes):
    """``{signal: metrics.summary}`` of each signal alone, deciding among ``classes``."""
    return {name: metrics.summary(table.meters, signal_votes(table, j, classes), classes)
            for j, name in enumerate(table.signals)}


def _sha1(path):
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()
