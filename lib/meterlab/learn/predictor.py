"""The prediction chain eval and predict share: which arbiter answers, whether it still
fits the signals' code, and its probabilities under a class prior.

engine (scores) -> :class:`~meterlab.learn.table.ScoreTable` -> arbiter -> prior -> answer.
"""
import numpy as np

from .. import config
from ..engine import registry
from ..engine.versions import signal_version
from . import priors
from .arbiter import Arbiter, VoteArbiter
from .mlp import CheckpointError


def load_predictor(checkpoint=None):
    """The arbiter at ``checkpoint``; without one, the default checkpoint or else the vote.

    An explicitly named checkpoint must exist; the default one may be absent (nothing
    trained yet), and then every signal votes (see :class:`VoteArbiter`).
    """
    if checkpoint is not None:
        return Arbiter.load(checkpoint)
    if config.ARBITER_CHECKPOINT.is_file():
        return Arbiter.load(config.ARBITER_CHECKPOINT)
    return VoteArbiter(registry.SIGNALS)


def current_versions(signals):
    """``{signal: cache version}`` of the code and models behind ``signals`` now."""
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


def class_probabilities(scored, predictor, prior, classes):
    """The arbiter's probabilities ``scored`` (files, its classes) moved to ``prior`` and
    laid out over ``classes`` (0 for a class it does not know)."""
    moved = priors.reweight(scored, predictor.training_prior, prior.shares(predictor.classes))
    full = np.zeros((len(moved), len(classes)))
    full[:, [classes.index(meter) for meter in predictor.classes]] = moved
    return full


def table_probabilities(table, predictor, prior, classes=None):
    """(files of ``table``, ``classes``) probabilities of the arbiter under ``prior``
    (``classes`` defaults to the arbiter's own)."""
    classes = list(predictor.classes) if classes is None else classes
    if not table.paths:
        return np.zeros((0, len(classes)))
    return class_probabilities(predictor.probabilities(table), predictor, prior, classes)
