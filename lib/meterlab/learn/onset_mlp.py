"""The onset MLP: meter probabilities from :mod:`meterlab.analyses.onset_features`.

Its scores feed the arbiter, which trains on the same tuning files, so the checkpoint is
cross-fitted (:mod:`meterlab.learn.cross_fitting`): :func:`predict` scores a training file
with the fold model that never saw its song and anything else with the full model. Folds
and early-stopping validation subsets are hashes of song ids, so every segment of a song
stays on one side.

Checkpoints hold only tensors, numbers, strings, lists and dicts, so they load with
``torch.load(weights_only=True)``.
"""

import numpy as np
import torch

from ..data.datasets import validation_mask
from .cross_fitting import file_folds, model_for
from .mlp import (CheckpointError, MLPClassifier, TrainSettings, class_weights,
                  fit_standardiser, load_checkpoint, save_checkpoint, train_classifier)

FORMAT = 1
FOLD_SALT = "onset-mlp-fold"
VALIDATION_SALT = "onset-mlp-validation"
#: Share of each model's training songs held out to choose its early-stopping epoch.
VALIDATION_FRACTION = 0.15


def train(features, meters, song_ids, audio_keys, classes, seed, n_folds=5,
          settings=TrainSettings(), feature_version=None):
    """Train the full model and ``n_folds`` song-fold models; returns the checkpoint dict.

    Parameters
    ----------
    features : array (n_files, n_features)
    meters : meter label per file, each in ``classes``
    song_ids, audio_keys : per file; ``audio_keys`` are :attr:`FileAnalysis.key` digests
    classes : meters the models predict, in output order
    feature_version : the onset_features producer version the features came from, so
        the signal can refuse features of another version
    """
    x = np.asarray(features, dtype=np.float32)
    y = _class_indices(meters, classes)
    folds = file_folds(song_ids, audio_keys, n_folds, FOLD_SALT)
    everything = np.ones(len(x), dtype=bool)
    full = _fit(x, y, everything, song_ids, len(classes), seed, settings)
    fold_models = []
    for fold in range(n_folds):
        held_out = folds == fold
        model = _fit(x, y, ~held_out, song_ids, len(classes), seed + 1 + fold, settings)
        model["held_out_accuracy"] = _accuracy(model, x[held_out], y[held_out])
        fold_models.append(model)
    return {
        "format": FORMAT,
        "classes": [int(meter) for meter in classes],
        "n_features": int(x.shape[1]),
        "seed": int(seed),
        "feature_version": feature_version,
        "full": full,
        "folds": fold_models,
        "fold_of": {str(key): int(fold) for key, fold in zip(audio_keys, folds)},
    }


def _class_indices(meters, classes):
    classes = [int(meter) for meter in classes]
    unknown = sorted(set(int(meter) for meter in meters) - set(classes))
    if unknown:
        raise ValueError(f"meters {unknown} are not among the classes {classes}")
    return np.array([classes.index(int(meter)) for meter in meters], dtype=np.int64)


def _fit(x, y, rows, song_ids, n_classes, seed, settings):
    """One model on ``rows``, early-stopped on their validation songs, as a checkpoint entry.

    The validation songs are drawn (by hash) from the model's own rows, so every model,
    however few songs it has, holds some out. The standardiser is fitted on the model's
    own training rows, so a fold model carries no statistic of the songs held out from it.
    """
    validation = np.zeros(len(rows), dtype=bool)
    validation[rows] = validation_mask([song_ids[i] for i in np.flatnonzero(rows)],
                                       VALIDATION_FRACTION, VALIDATION_SALT)
    train_rows, val_rows = rows & ~validation, rows & validation
    if not val_rows.any() or not train_rows.any():
        raise ValueError(f"{rows.sum()} files give no early-stopping validation songs: "
                         "too few songs")
    mean, scale = fit_standardiser(x[train_rows])
    result = train_classifier((x[train_rows] - mean) / scale, y[train_rows],
                              (x[val_rows] - mean) / scale, y[val_rows], n_classes, seed,
                              settings, class_weights(y[train_rows], n_classes))
    return {
        "model": result.model.to_state(),
        "mean": torch.from_numpy(mean),
        "scale": torch.from_numpy(scale),
        "val_accuracy": result.val_accuracy,
        "best_epoch": result.best_epoch,
        "n_train": int(train_rows.sum()),
        "n_val": int(val_rows.sum()),
    }


def _accuracy(entry, x, y):
    if not len(y):
        return float("nan")
    return float(np.mean(probabilities(entry, x).argmax(axis=1) == y))


def probabilities(entry, x):
    mean, scale = entry["mean"].numpy(), entry["scale"].numpy()
    model = MLPClassifier.from_state(entry["model"])
    return model.probabilities((np.atleast_2d(np.asarray(x, dtype=np.float32)) - mean) / scale)


def predict(checkpoint, features, audio_key):
    """Probabilities over ``checkpoint["classes"]`` for one file's feature vector."""
    features = np.asarray(features, dtype=np.float32)
    if features.shape != (checkpoint["n_features"],):
        raise ValueError(f"onset MLP expects {checkpoint['n_features']} features, "
                         f"got shape {features.shape}")
    _, entry = model_for(checkpoint, audio_key)
    return probabilities(entry, features)[0]


def save(checkpoint, path):
    save_checkpoint(checkpoint, path)


def load(path):
    """The checkpoint at ``path``; :class:`CheckpointError` naming it if missing or corrupt."""
    checkpoint = load_checkpoint(path, "onset MLP checkpoint", "make onset-mlp")
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an onset MLP checkpoint of format {FORMAT}")
    return checkpoint
