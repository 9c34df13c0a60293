"""Accuracy figures for meter predictions, as the METER2800 literature reports them, and
the calibration of their confidence."""
import numpy as np

from ..data.datasets import BINARY_CLASSES
from ..learn import calibration


def confusion(truth, predicted, classes):
    """Counts ``[i, j]`` of files of class ``classes[i]`` predicted as ``classes[j]``."""
    index = {meter: i for i, meter in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), dtype=int)
    for true, guess in zip(truth, predicted):
        matrix[index[true], index[guess]] += 1
    return matrix


def summary(truth, probabilities, classes, alternatives=None):
    """Overall, balanced, per-class and binary 3-vs-4 accuracy of class probabilities.

    With ``alternatives`` (a second acceptable meter per file, ``None`` where there is
    none, as METER2800's ``alt_meter``), also the accuracy counting that answer as right:
    reported beside the strict accuracy, never instead of it.

    Parameters
    ----------
    truth : sequence of int
        True meters; every one must be in ``classes``.
    probabilities : np.ndarray, shape (files, len(classes))
        A row of NaN marks a file that could not be analysed: it counts as wrong, so
        failures never leave the denominator.
    classes : sequence of int
    alternatives : sequence of int or None, optional
    """
    truth = np.asarray(truth)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    failed = np.isnan(probabilities).any(axis=1)
    predicted = np.asarray(classes)[np.nan_to_num(probabilities, nan=0.0).argmax(axis=1)]
    correct = (predicted == truth) & ~failed
    per_class = {int(m): float(correct[truth == m].mean()) for m in classes if np.any(truth == m)}
    result = {
        "n": int(len(truth)),
        "correct": int(correct.sum()),
        "accuracy": float(correct.mean()) if len(truth) else float("nan"),
        "balanced_accuracy": float(np.mean(list(per_class.values()))) if per_class else float("nan"),
        "per_class": per_class,
        "failed": int(failed.sum()),
        "confusion": confusion(truth[~failed], predicted[~failed], classes).tolist(),
        "classes": [int(m) for m in classes],
    }
    result.update(binary_accuracy(truth, probabilities, classes))
    if alternatives is not None and any(alt is not None for alt in alternatives):
        alternative = np.array([-1 if alt is None else alt for alt in alternatives])
        lenient = (correct | (predicted == alternative)) & ~failed
        result.update(alt_n=int((alternative >= 0).sum()), correct_with_alt=int(lenient.sum()),
                      accuracy_with_alt=float(lenient.mean()))
    return result


def per_source(truth, probabilities, classes, sources, alternatives=None):
    """:func:`summary` of each source's files (``{source: summary}``), for sources named."""
    sources = np.asarray([source or "" for source in sources])
    truth = np.asarray(truth)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    result = {}
    for source in sorted(set(sources) - {""}):
        mask = sources == source
        alt = None if alternatives is None else [a for a, m in zip(alternatives, mask) if m]
        result[source] = summary(truth[mask], probabilities[mask], classes, alt)
    return result


def binary_accuracy(truth, probabilities, classes):
    """Accuracy on files labelled 3 or 4, deciding between those two classes only."""
    if not all(meter in classes for meter in BINARY_CLASSES):
        return {}
    columns = [list(classes).index(meter) for meter in BINARY_CLASSES]
    mask = np.isin(truth, BINARY_CLASSES)
    if not mask.any():
        return {}
    rows = probabilities[mask][:, columns]
    chosen = np.asarray(BINARY_CLASSES)[np.nan_to_num(rows, nan=0.0).argmax(axis=1)]
    correct = (chosen == truth[mask]) & ~np.isnan(rows).any(axis=1)
    return {"binary_3v4_n": int(mask.sum()), "binary_3v4_accuracy": float(correct.mean())}


def confidence_calibration(truth, probabilities, classes, bins=calibration.ECE_BINS):
    """How well the confidence (top probability) of the analysed files matches their
    accuracy: the expected calibration error and its reliability bins
    (:func:`meterlab.learn.calibration.reliability`).

    Files that could not be analysed (NaN rows) have no confidence and are left out
    here, unlike in :func:`summary`.
    """
    labels = np.array([list(classes).index(meter) for meter in truth], dtype=int)
    confidence, correct = calibration.confidences(probabilities, labels)
    return {"n": int(len(confidence)), "correct": int(correct.sum()),
            "mean_confidence": float(confidence.mean()) if len(confidence) else float("nan"),
            "ece": calibration.expected_calibration_error(confidence, correct, bins),
            "bins": calibration.reliability(confidence, correct, bins)}
