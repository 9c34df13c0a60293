"""The arbiter: a small MLP that fuses every signal's meter scores into one answer.

Features per signal are its scores normalised to max 1, optionally *sharpened* (raised
to a power and renormalised, so a signal's runner-up matters less), plus one
availability flag per signal. The checkpoint records everything needed to reproduce
and to check a prediction: signals and their versions, classes, standardisation,
hyper-parameters, validation accuracy, the song ids it was trained on, the class
prior its outputs assume (:mod:`meterlab.learn.priors`) and, from the grid, the
temperature that calibrates them (:mod:`meterlab.learn.calibration`).
"""
import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import config
from . import calibration, priors
from ..data.datasets import validation_mask
from .mlp import (CheckpointError, MLPClassifier, TrainSettings, class_weights,
                  fit_standardiser, load_checkpoint, save_checkpoint, train_classifier)

#: Share of training songs held out (by hash of song id) for early stopping.
VALIDATION_FRACTION = 0.2
VALIDATION_SALT = "arbiter-validation"


def parse_sharpen(text):
    """``"autocorr:2,madmom:1.5"`` -> ``{"autocorr": 2.0, "madmom": 1.5}``."""
    sharpen = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        name, _, power = item.partition(":")
        sharpen[name.strip()] = float(power)
    return sharpen


def signal_features(scores, signals, sharpen):
    """Per-signal scores normalised to max 1 and sharpened: (files, signals * meters)."""
    scores = np.asarray(scores, dtype=np.float64)
    peak = scores.max(axis=2, keepdims=True)
    normalised = np.divide(scores, peak, out=np.zeros_like(scores), where=peak > 0)
    powers = np.array([sharpen.get(name, 1.0) for name in signals])[None, :, None]
    sharpened = normalised ** powers
    peak = sharpened.max(axis=2, keepdims=True)
    sharpened = np.divide(sharpened, peak, out=np.zeros_like(sharpened), where=peak > 0)
    return sharpened.reshape(len(scores), -1)


def feature_matrix(table, sharpen):
    """Arbiter input for a :class:`~meterlab.learn.table.ScoreTable`."""
    features = signal_features(table.scores, table.signals, sharpen)
    return np.hstack([features, table.available.astype(np.float64)]).astype(np.float32)


@dataclass
class ArbiterSettings:
    sharpen: dict
    boost_rare: float = 1.0
    seed: int = 0
    #: Models trained from seeds ``seed .. seed + n_seeds - 1``, whose probabilities the
    #: arbiter averages: one initialisation and batch order matter less (on the real-score
    #: tuning files, cross-validated accuracy of single seeds spread over 2 points).
    n_seeds: int = 1
    epochs: int = TrainSettings.epochs


@dataclass
class Ensemble:
    """Models trained from several seeds on the same rows, with the standardiser and the
    class prior they share; predicts their mean probability."""

    models: list
    mean: np.ndarray
    scale: np.ndarray
    prior: np.ndarray
    #: How each model trained (:class:`~meterlab.learn.mlp.TrainResult`); empty when loaded.
    results: list = ()

    def probabilities(self, features):
        standardised = (features - self.mean) / self.scale
        return np.mean([model.probabilities(standardised) for model in self.models], axis=0)


def train(table, settings):
    """Train on a tuning :class:`ScoreTable`; returns the checkpoint dict.

    A hash-of-song share of the files (:data:`VALIDATION_FRACTION`) is held out for early
    stopping and for the validation accuracy, which is the ensemble's; each seed's own is
    recorded too (mean and spread over seeds).
    """
    classes, labels, features = _prepare(table, settings)
    is_val = np.array(validation_mask(table.song_ids, VALIDATION_FRACTION, VALIDATION_SALT))
    ensemble = _fit(features, labels, ~is_val, is_val, classes, settings)
    predictions = ensemble.probabilities(features[is_val]).argmax(axis=1)
    singles = np.array([result.val_accuracy for result in ensemble.results])
    return _checkpoint(table, classes, ensemble, settings) | {
        "val_accuracy": float(np.mean(predictions == labels[is_val])),
        "val_accuracy_mean": float(singles.mean()),
        "val_accuracy_std": float(singles.std()),
        "val_per_class": per_class_accuracy(labels[is_val], predictions, classes),
        "n_train": int((~is_val).sum()),
        "n_val": int(is_val.sum()),
    }


def fold_run(table, settings, held_out):
    """Train without the ``held_out`` files and score them (one cross-validation fold).

    Early stopping uses a hash-of-song share of the *training* songs, so the held-out
    fold plays no part in training. Returns ``correct`` and ``n`` counts on the held-out
    files per class and per dataset (where the table names them), each seed's
    early-stopping epoch, and the held-out ``rows`` of the table with their
    ``probabilities`` under the fold's ``training_prior`` (what the temperature is fitted
    on: :mod:`meterlab.learn.calibration`).
    """
    classes, labels, features = _prepare(table, settings)
    training = ~np.asarray(held_out, dtype=bool)
    stop = np.zeros(len(labels), dtype=bool)
    stop[training] = validation_mask([table.song_ids[i] for i in np.flatnonzero(training)],
                                     VALIDATION_FRACTION, VALIDATION_SALT)
    ensemble = _fit(features, labels, training & ~stop, stop, classes, settings)
    probabilities = ensemble.probabilities(features[~training])
    predictions = probabilities.argmax(axis=1)
    truth = labels[~training]
    right = predictions == truth
    held_datasets = np.array([str(name) for name, held in zip(table.datasets or [], ~training)
                              if held])
    return {"correct": {meter: int(np.sum(right & (truth == index)))
                        for index, meter in enumerate(classes)},
            "n": {meter: int(np.sum(truth == index)) for index, meter in enumerate(classes)},
            "datasets": {name: [int(np.sum(right & (held_datasets == name))),
                                int(np.sum(held_datasets == name))]
                         for name in sorted(set(held_datasets.tolist()))},
            "best_epochs": [result.best_epoch for result in ensemble.results],
            "rows": np.flatnonzero(~training).tolist(),
            "probabilities": probabilities.tolist(),
            "training_prior": np.asarray(ensemble.prior).tolist()}


def refit(table, settings, epochs, cross_validation, calibrated=None):
    """Train on every tuning file for exactly ``epochs`` epochs (chosen beforehand by
    cross-validation: nothing is held out to stop on); returns the checkpoint dict with
    ``cross_validation``, the numbers that chose this configuration, recorded in it, and
    ``calibration`` (:func:`meterlab.learn.calibration.calibrate` of its out-of-fold
    predictions), whose ``temperature`` :class:`Arbiter` applies."""
    classes, labels, features = _prepare(table, settings)
    everything = np.ones(len(labels), dtype=bool)
    fixed = ArbiterSettings(settings.sharpen, settings.boost_rare, settings.seed,
                            settings.n_seeds, epochs)
    ensemble = _fit(features, labels, everything, ~everything, classes, fixed)
    return _checkpoint(table, classes, ensemble, fixed) | {
        "cross_validation": cross_validation, "n_train": len(labels), "n_val": 0} | (
        {"calibration": calibrated} if calibrated else {})


def _prepare(table, settings):
    """Classes (every meter of the table), label indices and arbiter features."""
    classes = sorted(set(table.meters.tolist()))
    labels = np.array([classes.index(m) for m in table.meters])
    return classes, labels, feature_matrix(table, settings.sharpen)


def _fit(features, labels, rows, stop_rows, classes, settings):
    """An :class:`Ensemble` of one model per seed trained on ``rows`` and early-stopped on
    ``stop_rows`` (none: fixed epochs).

    The standardiser and the class weights come from ``rows`` alone; the prior is the one
    the models' outputs assume (:func:`meterlab.learn.priors.training_prior`).
    """
    mean, scale = fit_standardiser(features[rows])
    standardised = (features - mean) / scale
    boost = [settings.boost_rare if meter in config.RARE_METERS else 1.0 for meter in classes]
    weights = class_weights(labels[rows], len(classes), boost)
    results = [train_classifier(standardised[rows], labels[rows], standardised[stop_rows],
                                labels[stop_rows], len(classes), seed,
                                TrainSettings(epochs=settings.epochs), weights)
               for seed in range(settings.seed, settings.seed + settings.n_seeds)]
    return Ensemble([result.model for result in results], mean, scale,
                    priors.training_prior(labels[rows], weights, len(classes)), results)


def _checkpoint(table, classes, ensemble, settings):
    """What every arbiter checkpoint holds: the seeds' models, inputs, standardiser,
    training prior, settings, songs."""
    return {
        "models": [model.to_state() for model in ensemble.models],
        "signals": list(table.signals),
        "versions": dict(table.versions),
        "classes": classes,
        "candidate_meters": list(config.CANDIDATE_METERS),
        "standardiser": {"mean": torch.from_numpy(ensemble.mean),
                         "scale": torch.from_numpy(ensemble.scale)},
        "training_prior": dict(zip(classes, np.asarray(ensemble.prior).tolist())),
        "hyper_parameters": {"sharpen": settings.sharpen, "boost_rare": settings.boost_rare,
                             "seed": settings.seed, "seeds": settings.n_seeds,
                             "epochs": settings.epochs,
                             "best_epochs": [result.best_epoch for result in ensemble.results]},
        "dataset_fingerprint": table.fingerprint(),
        "song_ids": sorted(set(table.song_ids)),
    }


def per_class_accuracy(labels, predictions, classes):
    """``{meter: accuracy}`` over the classes present in ``labels``."""
    return {meter: float(np.mean(predictions[labels == index] == index))
            for index, meter in enumerate(classes) if np.any(labels == index)}


def save(checkpoint, path):
    save_checkpoint(checkpoint, path)


#: What every arbiter checkpoint holds (another model's checkpoint lacks some).
CHECKPOINT_KEYS = ("signals", "versions", "classes", "standardiser", "hyper_parameters")


class Arbiter:
    """A trained arbiter, loaded from its checkpoint.

    Its probabilities are at the checkpoint's calibration temperature (1.0 for a
    checkpoint without one: trained before calibration, or by ``train_arbiter.py``
    outside the grid).
    """

    def __init__(self, checkpoint, path=None):
        missing = [key for key in CHECKPOINT_KEYS
                   if not isinstance(checkpoint, dict) or key not in checkpoint]
        if missing:
            raise CheckpointError(f"{path}: not an arbiter checkpoint (no "
                                  f"{', '.join(missing)}): `make grid` writes the arbiter "
                                  f"to {config.ARBITER_CHECKPOINT}")
        self.checkpoint = checkpoint
        self.path = path
        self.signals = tuple(checkpoint["signals"])
        self.classes = list(checkpoint["classes"])
        if "training_prior" not in checkpoint or "models" not in checkpoint:
            raise CheckpointError(f"{path}: trained before class priors and seed ensembles "
                                  "were recorded; re-run `make grid`")
        #: Shares over :attr:`classes` that :meth:`probabilities` assumes.
        self.training_prior = np.array([checkpoint["training_prior"][meter]
                                        for meter in self.classes])
        scaler = checkpoint["standardiser"]
        self.ensemble = Ensemble([MLPClassifier.from_state(state)
                                  for state in checkpoint["models"]],
                                 scaler["mean"].numpy(), scaler["scale"].numpy(),
                                 self.training_prior)
        #: Divides the ensemble's log-probabilities (:func:`calibration.temper`).
        self.temperature = float(checkpoint.get("calibration", {}).get("temperature", 1.0))

    @classmethod
    def load(cls, path=config.ARBITER_CHECKPOINT):
        return cls(load_checkpoint(path, "arbiter checkpoint", "make grid"), Path(path))

    def version_mismatches(self, current_versions):
        """Signals whose code or model changed since training: ``{name: (trained, now)}``."""
        trained = self.checkpoint["versions"]
        return {name: (trained[name], current_versions.get(name))
                for name in self.signals if trained[name] != current_versions.get(name)}

    def probabilities(self, table):
        """(files, classes) probabilities for a table with this arbiter's signals, at
        :attr:`temperature`, under :attr:`training_prior`."""
        features = feature_matrix(table, self.checkpoint["hyper_parameters"]["sharpen"])
        return calibration.temper(self.ensemble.probabilities(features), self.temperature)


class VoteArbiter:
    """Fallback when no arbiter is trained: an equal-weight vote of the available signals.

    Each available signal's scores over ``classes`` are normalised to sum 1 and summed
    over signals (equal weights: with no training data there is nothing to prefer one
    signal by), then normalised to probabilities.
    """

    path = None
    #: Nothing to calibrate it on: its shares are used as they are.
    temperature = 1.0

    def __init__(self, signals, classes=config.DEFAULT_CLASSES):
        self.signals = tuple(signals)
        self.classes = list(classes)
        #: The vote treats every class alike.
        self.training_prior = np.full(len(self.classes), 1.0 / len(self.classes))

    def version_mismatches(self, current_versions):
        return {}

    def probabilities(self, table):
        index = [config.CANDIDATE_METERS.index(meter) for meter in self.classes]
        scores = np.asarray(table.scores, dtype=np.float64)[:, :, index]
        totals = scores.sum(axis=2, keepdims=True)
        shares = np.divide(scores, totals, out=np.zeros_like(scores), where=totals > 0)
        votes = (shares * table.available[:, :, None]).sum(axis=1)
        totals = votes.sum(axis=1, keepdims=True)
        uniform = np.full_like(votes, 1.0 / len(self.classes))
        return np.divide(votes, totals, out=uniform, where=totals > 0)


def uncalibrated(predictor):
    """A copy of ``predictor`` answering at temperature 1 (eval reports both)."""
    plain = copy.copy(predictor)
    plain.temperature = 1.0
    return plain
