"""Evaluation: predict every file of a split through the engine and score the predictions,
beside madmom's own downbeat tracker (:mod:`meterlab.evaluate.reference`) and each signal alone."""
import hashlib
from pathlib import Path

import numpy as np

from .. import config
from . import metrics, reference
from ..engine import registry
from ..learn import priors
from ..learn.arbiter import Arbiter, VoteArbiter
from ..learn.extract import score_table
from ..learn.mlp import CheckpointError
from ..engine.registry import SIGNALS
from ..engine.versions import signal_version


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
    return {name: signal_version(name) for name in signals}


def check_versions(predictor):
    """Refuse an arbiter whose signals are gone or changed since it was trained (scores
    would differ)."""
    gone = [name for name in predictor.signals if name not in registry.SIGNALS]
    if gone:
        raise CheckpointError(
            f"{predictor.path}: this arbiter reads signal(s) that no longer exist "
            f"({', '.join(gone)}; known: {', '.join(registry.SIGNALS)}); re-run "
            "`make extract grid` (or `make all`)")
    mismatches = predictor.version_mismatches(current_versions(predictor.signals))
    if mismatches:
        names = ", ".join(sorted(mismatches))
        raise CheckpointError(
            f"{predictor.path}: signal code or models changed since this arbiter was trained "
            f"({names}); re-run `make extract grid` (or `make all`)")


def evaluate(entries, predictor, workers=1, progress=True, cache_root=config.CACHE_DIR,
             scheduler=None, prior=None):
    """Predict ``entries``; returns the run record (metrics, per-file results).

    ``metrics`` are under ``prior`` (a :class:`~meterlab.learn.priors.Prior`; ``None``: the
    default, :func:`meterlab.learn.priors.choose_prior`), ``metrics_uniform`` under the uniform
    prior, ``reference`` the same figures for madmom's tracker choosing among the
    arbiter's classes, ``per_signal`` for each signal alone.
    """
    prior = prior or priors.choose_prior(None, predictor.classes)
    extraction = score_table(entries, predictor.signals, workers, cache_root, progress,
                             scheduler)
    table = extraction.table
    classes = sorted(set(predictor.classes) | {entry.meter for entry in entries})
    row_of = {path: row for row, path in enumerate(table.paths)}
    rows = [row_of.get(str(entry.path)) for entry in entries]
    scored = (predictor.probabilities(table) if table.paths
              else np.zeros((0, len(predictor.classes))))

    def under(chosen):
        """(entries, classes) probabilities under the prior ``chosen``; NaN rows where
        a file could not be analysed."""
        moved = class_probabilities(scored, predictor, chosen, classes)
        full = np.full((len(entries), len(classes)), np.nan)
        for i, row in enumerate(rows):
            if row is not None:
                full[i] = moved[row]
        return full

    probabilities = under(prior)
    uniform = under(priors.parse_prior(priors.UNIFORM))
    answers, reference_failures = reference_answers(entries, predictor.classes, classes,
                                                    workers, cache_root, progress)
    errors = dict(extraction.problems)
    files = []
    for i, entry in enumerate(entries):
        analysed = rows[i] is not None
        files.append({
            "path": str(entry.path), "meter": entry.meter, "source": entry.source,
            "alt_meter": entry.alt_meter,
            "predicted": classes[int(np.argmax(probabilities[i]))] if analysed else None,
            "predicted_uniform": classes[int(np.argmax(uniform[i]))] if analysed else None,
            "reference": None if np.isnan(answers[i]).any()
            else classes[int(np.argmax(answers[i]))],
            "probabilities": dict(zip(classes, probabilities[i].tolist())) if analysed else None,
            "error": errors.get(str(entry.path)),
            "reference_error": reference_failures.get(str(entry.path)),
        })
    truth = [entry.meter for entry in entries]
    alternatives = [entry.alt_meter for entry in entries]
    sources = [entry.source for entry in entries]
    return {
        "prior": prior.describe(predictor.classes),
        "prior_name": prior.name,
        "metrics": metrics.summary(truth, probabilities, classes, alternatives),
        "metrics_uniform": metrics.summary(truth, uniform, classes, alternatives),
        "reference": metrics.summary(truth, answers, classes, alternatives),
        "reference_classes": list(predictor.classes),
        "per_source": metrics.per_source(truth, probabilities, classes, sources, alternatives),
        "reference_per_source": metrics.per_source(truth, answers, classes, sources,
                                                   alternatives),
        "per_signal": signal_accuracy(table, classes),
        "files": files,
        "signals": list(predictor.signals),
        "signal_coverage": table.coverage() if table.paths else {},
        "unavailable_reasons": extraction.unavailable_reasons,
        "signal_versions": current_versions(predictor.signals),
        "arbiter": "vote" if predictor.path is None else str(predictor.path),
        "arbiter_sha1": None if predictor.path is None else _sha1(predictor.path),
    }


def class_probabilities(scored, predictor, prior, classes):
    """The arbiter's probabilities ``scored`` (files, its classes) moved to ``prior`` and
    laid out over ``classes`` (0 for a class it does not know)."""
    moved = priors.reweight(scored, predictor.training_prior, prior.shares(predictor.classes))
    full = np.zeros((len(moved), len(classes)))
    full[:, [classes.index(meter) for meter in predictor.classes]] = moved
    return full


def reference_answers(entries, reference_classes, classes, workers=1,
                      cache_root=config.CACHE_DIR, progress=True):
    """(entries, classes) scores whose argmax is madmom's tracker's answer with
    ``beats_per_bar=reference_classes`` (other classes -inf; NaN rows: no answer), and
    ``{path: cause}`` of the files it failed on."""
    table, failures = reference.log_probs([entry.path for entry in entries], workers,
                                          cache_root, progress)
    answers = np.full((len(entries), len(classes)), -np.inf)
    answers[:, [classes.index(meter) for meter in reference_classes]] = reference.answers(
        table, reference_classes)
    answers[np.isnan(answers).any(axis=1)] = np.nan
    return answers, failures


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
