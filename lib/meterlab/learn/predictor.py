"""The prediction chain eval and predict share: which arbiter answers, whether it still
fits the signals' code, and its probabilities under a class prior.

engine (scores) -> :class:`~meterlab.learn.table.ScoreTable` -> arbiter -> prior -> answer.
"""
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import config
from ..engine import registry
from ..engine.versions import signal_libraries, signal_version
from . import priors, shipped
from .arbiter import Arbiter, VoteArbiter
from .mlp import CheckpointError


@dataclass(frozen=True)
class Origin:
    """Which model answers, so that every answer can say so.

    ``kind`` is ``"given"`` (named on the command line), ``"yours"`` (the user's
    ``data/meter_arbiter.pt``), ``"shipped"`` (the package's) or ``"vote"`` (none).
    """

    kind: str
    path: Path = None
    #: ``{library: version}`` the model was trained with, where recorded (shipped).
    libraries: dict = field(default_factory=dict)
    #: Where it came from, in words (the shipped model's commit and data).
    trained: str = ""

    def describe(self):
        if self.kind == "vote":
            return "signal vote (no arbiter trained)"
        where = {"given": "arbiter", "yours": "your arbiter",
                 "shipped": "the shipped arbiter"}[self.kind]
        return f"{where} {self.path}" + (f" ({self.trained})" if self.trained else "")


def load_predictor(checkpoint=None):
    """The arbiter at ``checkpoint``; without one, the user's, the shipped one, or the vote.

    An explicitly named checkpoint must exist. Otherwise the user's trained arbiter
    (``make grid``) takes precedence over the one shipped in the package; with neither,
    every signal votes (see :class:`VoteArbiter`). The predictor's ``origin``
    (:class:`Origin`) says which answered.
    """
    if checkpoint is not None:
        predictor, origin = Arbiter.load(checkpoint), Origin("given", Path(checkpoint))
    elif config.ARBITER_CHECKPOINT.is_file():
        predictor = Arbiter.load(config.ARBITER_CHECKPOINT)
        origin = Origin("yours", config.ARBITER_CHECKPOINT)
    elif shipped.path(shipped.ARBITER).is_file():
        predictor = Arbiter.load(shipped.path(shipped.ARBITER))
        record = shipped.provenance()
        origin = Origin("shipped", predictor.path, record.get("libraries", {}),
                        f"commit {record.get('commit', '?')[:10]}, "
                        f"{record.get('dataset', '?')} data, seed {record.get('seed', '?')}")
    else:
        predictor, origin = VoteArbiter(registry.SIGNALS), Origin("vote")
    predictor.origin = origin
    return predictor


def current_versions(signals, assumed=()):
    """``{signal: cache version}`` of the code and models behind ``signals`` now (under
    ``assumed`` library versions, see :func:`meterlab.engine.versions.producer_version`)."""
    return {name: signal_version(name, assumed) for name in signals}


def library_warnings(trained_with, signals):
    """One line per library behind ``signals`` whose installed version is not the one
    in ``trained_with`` (``{library: version}``)."""
    return [(f"{name} is not installed (the model was trained with {name} "
             f"{trained_with[name]}): the signals that need it answer nothing"
             if installed == "absent" else
             f"{name} {installed} is installed; the model was trained with {name} "
             f"{trained_with[name]}: its answers may differ from the published figures")
            for name, installed in signal_libraries(signals).items()
            if name in trained_with and trained_with[name] != installed]


def check_versions(predictor):
    """Refuse an arbiter whose signals are gone or changed since it was trained (scores
    would differ); return warnings, one per library, where only library versions differ
    from those a shipped model records (answers may move a little, they still come).
    """
    gone = [name for name in predictor.signals if name not in registry.SIGNALS]
    if gone:
        raise CheckpointError(
            f"{predictor.path}: this arbiter reads signal(s) that no longer exist "
            f"({', '.join(gone)}; known: {', '.join(registry.SIGNALS)}); re-run "
            "`make extract grid` (or `make all`)")
    mismatches = predictor.version_mismatches(current_versions(predictor.signals))
    trained_with = getattr(predictor, "origin", Origin("given")).libraries
    if mismatches and trained_with and not predictor.version_mismatches(
            current_versions(predictor.signals, trained_with)):
        return library_warnings(trained_with, predictor.signals)
    if mismatches:
        names = ", ".join(sorted(mismatches))
        raise CheckpointError(
            f"{predictor.path}: signal code or models changed since this arbiter was trained "
            f"({names}); re-run `make extract grid` (or `make all`)")
    return []


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
