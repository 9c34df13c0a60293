"""Whether the arbiter's confidence means what it says, and temperature scaling to make it so.

The *confidence* of an answer is its top probability. It is calibrated when, of the
answers given with confidence near 0.8, about 80% are right. The expected calibration
error (ECE; Naeini et al., AAAI 2015; Guo et al., ICML 2017) measures how far it is from
that: answers are put in :data:`ECE_BINS` equal-width confidence bins, and the gaps
between each bin's accuracy and mean confidence are averaged, weighted by the bin's
share of answers.

Temperature scaling (Guo et al. 2017) divides the log-probabilities by one number T
and renormalises: T > 1 softens over-confident answers, T < 1 sharpens timid ones, and
no answer changes, since the order of the classes in a row is kept. T is fitted on
out-of-fold predictions of the tuning data (never a test split) by minimising their
negative log-likelihood. It applies to the arbiter's own probabilities, under its
training prior, *before* :func:`meterlab.learn.priors.reweight` moves them to a user's
prior, because Bayes' rule assumes calibrated posteriors; so the fit, too, tempers first
and then moves the out-of-fold probabilities to the class shares of the rows it scores.
"""
import numpy as np
from scipy.optimize import minimize_scalar

from . import priors

#: Equal-width confidence bins over [0, 1] of the ECE and of the reliability diagram
#: (test splits of 81 and 96 files leave about 8 answers to a bin when spread evenly).
ECE_BINS = 10
#: Interval searched for the temperature.
TEMPERATURE_BOUNDS = (0.05, 20.0)
#: When a fitted temperature is used: it must lower this out-of-fold figure (the NLL it
#: minimises cannot rise, since T = 1 lies in the interval searched) without lowering the
#: out-of-fold accuracy. Tempering alone keeps every answer, but the prior is moved after
#: it: a high temperature flattens the outputs until the prior's ratio decides (an arbiter
#: of 21 tuning files fitted T = 4.6, which lowered its out-of-fold ECE and took its
#: accuracy from 62% to 38%).
CRITERION = "out-of-fold ECE, keeping the out-of-fold accuracy"
#: Probabilities are clipped to this before a logarithm (a class given probability 0).
_TINY = 1e-12


def confidences(probabilities, labels):
    """Top probability and whether it is the label's, over rows that are not NaN.

    Parameters
    ----------
    probabilities : np.ndarray, shape (n, classes)
        A row of NaN marks a file that could not be analysed: it has no confidence.
    labels : np.ndarray of int, shape (n,)
        Index of each row's true class.

    Returns
    -------
    confidence : np.ndarray of float
    correct : np.ndarray of bool
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    analysed = ~np.isnan(probabilities).any(axis=1)
    rows = probabilities[analysed]
    return rows.max(axis=1), rows.argmax(axis=1) == np.asarray(labels)[analysed]


def reliability(confidence, correct, bins=ECE_BINS):
    """Per equal-width confidence bin: answers, their mean confidence and their accuracy.

    Bin ``b`` holds confidences in ``[b / bins, (b + 1) / bins)``, the last one including
    1. Empty bins have NaN confidence and accuracy.

    Returns
    -------
    dict
        ``edges`` (bins + 1), ``count``, ``confidence``, ``accuracy`` (lists, JSON-able).
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_confidence = np.bincount(which, confidence, minlength=bins) / count
        accuracy = np.bincount(which, correct, minlength=bins) / count
    return {"edges": np.linspace(0.0, 1.0, bins + 1).tolist(), "count": count.tolist(),
            "confidence": mean_confidence.tolist(), "accuracy": accuracy.tolist()}


def expected_calibration_error(confidence, correct, bins=ECE_BINS):
    """Bin-share-weighted mean of ``|accuracy - mean confidence|`` over the
    :func:`reliability` bins; NaN without answers."""
    if not len(confidence):
        return float("nan")
    table = reliability(confidence, correct, bins)
    count = np.asarray(table["count"])
    full = count > 0
    gaps = np.abs(np.asarray(table["accuracy"]) - np.asarray(table["confidence"]))[full]
    return float(np.sum(count[full] * gaps) / count.sum())


def temper(probabilities, temperature):
    """Rows of probabilities at ``temperature``: ``softmax(log p / T)``.

    A class at probability 0 stays at 0, NaN rows stay NaN, and the order of the
    classes in each row is kept.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if temperature == 1.0:
        return probabilities
    with np.errstate(divide="ignore"):
        logits = np.log(probabilities) / temperature
    logits -= np.max(logits, axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def negative_log_likelihood(probabilities, labels):
    """Mean ``-log p(true class)`` over rows that are not NaN."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    analysed = ~np.isnan(probabilities).any(axis=1)
    truth = probabilities[analysed, np.asarray(labels)[analysed]]
    return float(-np.mean(np.log(np.maximum(truth, _TINY))))


def moved(probabilities, temperature, trained_under, shares):
    """``probabilities`` tempered, then moved from the prior ``trained_under`` (per class,
    or per row and class) to ``shares``: the order eval and predict apply them in."""
    return priors.reweight(temper(probabilities, temperature), trained_under, shares)


def fit_temperature(probabilities, labels, trained_under, shares):
    """The temperature minimising the negative log-likelihood of ``labels`` under
    :func:`moved` probabilities (a bounded search over log T)."""
    def loss(log_temperature):
        return negative_log_likelihood(
            moved(probabilities, np.exp(log_temperature), trained_under, shares), labels)

    low, high = np.log(TEMPERATURE_BOUNDS)
    return float(np.exp(minimize_scalar(loss, bounds=(low, high), method="bounded",
                                        options={"xatol": 1e-4}).x))


def calibrate(probabilities, labels, trained_under, bins=ECE_BINS):
    """Fit a temperature on out-of-fold predictions and decide whether to use it.

    The probabilities are compared with the labels under the rows' own class shares
    (``labels``' frequencies), as eval compares a test split's under a prior. The fitted
    temperature is used when it meets the :data:`CRITERION`; otherwise the record says
    1.0.

    Parameters
    ----------
    probabilities : np.ndarray, shape (n, classes)
        Out-of-fold probabilities, each under the training prior of the model that made it.
    labels : np.ndarray of int, shape (n,)
    trained_under : np.ndarray, shape (classes,) or (n, classes)
        Training prior of each row's model.

    Returns
    -------
    dict
        ``temperature`` (the one to apply), ``fitted_temperature``, ``applied``,
        ``criterion``, ``bins``, ``n``, and the out-of-fold ``nll``, ``ece`` and ``accuracy``, each
        ``{"before": ..., "after": ...}`` (after: at the fitted temperature).
    """
    labels = np.asarray(labels)
    shares = np.bincount(labels, minlength=np.shape(probabilities)[1]) / len(labels)
    fitted = fit_temperature(probabilities, labels, trained_under, shares)
    figures = {"nll": {}, "ece": {}, "accuracy": {}}
    for when, temperature in (("before", 1.0), ("after", fitted)):
        answers = moved(probabilities, temperature, trained_under, shares)
        figures["nll"][when] = negative_log_likelihood(answers, labels)
        figures["ece"][when] = expected_calibration_error(*confidences(answers, labels), bins)
        figures["accuracy"][when] = float(np.mean(answers.argmax(axis=1) == labels))
    applied = (figures["ece"]["after"] < figures["ece"]["before"]
               and figures["accuracy"]["after"] >= figures["accuracy"]["before"])
    return {"temperature": fitted if applied else 1.0, "fitted_temperature": fitted,
            "applied": bool(applied), "criterion": CRITERION, "bins": bins,
            "n": int(len(labels)), **figures}
