"""A small MLP classifier and its seeded, early-stopped training, shared by the
arbiter and the onset MLP signal.

Training is deterministic for a seed (one thread, seeded torch generator, full-batch
or seeded mini-batch order), so the same seed gives bit-identical weights.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..engine.atomic import atomic_open


class CheckpointError(Exception):
    """A missing or unreadable model checkpoint; ``str()`` names the file and the cause."""


def save_checkpoint(checkpoint, path):
    """Write atomically: a reader mid-write sees the old checkpoint or the new, never half."""
    with atomic_open(path) as stream:
        torch.save(checkpoint, stream)


def load_checkpoint(path, description, remedy):
    """A checkpoint of tensors and plain values (``weights_only``: no code runs on load).

    Raises :class:`CheckpointError` naming ``path`` and, when it is missing, ``remedy``.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no {description} (run `{remedy}`)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a damaged file
        raise CheckpointError(f"{path}: unreadable {description} "
                              f"({type(error).__name__}: {error})") from error


class MLPClassifier(nn.Module):
    """in -> hidden layers (Linear, BatchNorm, ReLU, Dropout) -> classes."""

    def __init__(self, n_inputs, n_classes, hidden=(64, 32), dropout=0.2):
        super().__init__()
        layers = []
        width = n_inputs
        for size in hidden:
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, n_classes))
        self.net = nn.Sequential(*layers)
        self.config = {"n_inputs": n_inputs, "n_classes": n_classes, "hidden": list(hidden),
                       "dropout": dropout}

    def forward(self, x):
        return self.net(x)

    def probabilities(self, x):
        """Class probabilities for a (n, n_inputs) float array."""
        self.eval()
        with torch.no_grad():
            logits = self(torch.as_tensor(np.asarray(x, dtype=np.float32)))
        return torch.softmax(logits, dim=1).numpy()

    def to_state(self):
        return {"config": self.config, "weights": self.state_dict()}

    @classmethod
    def from_state(cls, state):
        model = cls(**state["config"])
        model.load_state_dict(state["weights"])
        model.eval()
        return model


@dataclass
class TrainSettings:
    epochs: int = 300
    learning_rate: float = 3e-3
    weight_decay: float = 1e-3
    batch_size: int = 64
    #: Epochs without a better validation loss before stopping.
    patience: int = 40
    hidden: tuple = (64, 32)
    dropout: float = 0.2


@dataclass
class TrainResult:
    model: MLPClassifier
    val_accuracy: float
    val_loss: float
    best_epoch: int


def class_weights(labels, n_classes, boost=None):
    """Inverse-frequency weights (mean 1 over present classes), times ``boost[c]``.

    A class absent from ``labels`` gets weight 0: nothing to learn from it.
    """
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / n_classes, 0.0)
    if boost is not None:
        weights = weights * np.asarray(boost, dtype=np.float64)
    present = counts > 0
    weights[present] /= weights[present].mean()
    return torch.as_tensor(weights, dtype=torch.float32)


def train_classifier(x_train, y_train, x_val, y_val, n_classes, seed, settings=TrainSettings(),
                     weights=None):
    """Train an :class:`MLPClassifier`; keep the epoch with the lowest validation loss.

    With no validation rows the model trains for exactly ``settings.epochs`` epochs and
    the last is kept (a refit whose epoch count was chosen beforehand, e.g. by
    cross-validation); its accuracy and loss are then NaN.

    Parameters
    ----------
    x_train, x_val : np.ndarray, shape (n, features), already standardised
    y_train, y_val : np.ndarray of int class indices
    weights : torch.Tensor, optional
        Per-class loss weights (see :func:`class_weights`).
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = MLPClassifier(x_train.shape[1], n_classes, settings.hidden, settings.dropout)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate,
                                  weight_decay=settings.weight_decay)
    loss_fn = nn.CrossEntropyLoss(weight=weights)
    x_train_t = torch.as_tensor(x_train, dtype=torch.float32)
    y_train_t = torch.as_tensor(y_train, dtype=torch.long)
    x_val_t = torch.as_tensor(x_val, dtype=torch.float32)
    y_val_t = torch.as_tensor(y_val, dtype=torch.long)
    best = (float("inf"), 0, None)
    for epoch in range(settings.epochs):
        model.train()
        order = torch.randperm(len(x_train_t), generator=generator)
        for start in range(0, len(order), settings.batch_size):
            batch = order[start:start + settings.batch_size]
            if len(batch) < 2:          # batch norm needs two samples
                continue
            optimiser.zero_grad()
            loss_fn(model(x_train_t[batch]), y_train_t[batch]).backward()
            optimiser.step()
        if not len(y_val):
            continue
        val_loss = _loss(model, loss_fn, x_val_t, y_val_t)
        if val_loss < best[0]:
            best = (val_loss, epoch, {k: v.clone() for k, v in model.state_dict().items()})
        elif epoch - best[1] >= settings.patience:
            break
    if best[2] is None:
        best = (float("nan"), settings.epochs - 1, None)
    else:
        model.load_state_dict(best[2])
    model.eval()
    accuracy = (float(np.mean(model.probabilities(x_val).argmax(axis=1) == y_val)) if len(y_val)
                else float("nan"))
    return TrainResult(model, accuracy, best[0], best[1])


def _loss(model, loss_fn, x, y):
    model.eval()
    with torch.no_grad():
        return float(loss_fn(model(x), y))


def fit_standardiser(x):
    """Mean and scale of training features; constant features get scale 1."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean.astype(np.float32), np.where(scale > 1e-8, scale, 1.0).astype(np.float32)
