"""Evaluation: predict every file of a split through the engine and score the predictions,
beside madmom's own downbeat tracker (:mod:`meterlab.evaluate.reference`) and each signal
alone, and measure how well the arbiter's confidence is calibrated."""
import hashlib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from .. import config
from ..learn import priors
from ..learn.arbiter import uncalibrated
from ..learn.calibration import ECE_BINS, temper
from ..learn.extract import score_table
from ..learn.predictor import class_probabilities, current_versions, table_probabilities
from . import metrics, reference


@dataclass
class EvalRun:
    """One eval: the arbiter's figures under the chosen prior and under uniform, madmom's
    reference and each signal alone beside them, the calibration of the arbiter's
    confidence, and a record per file.

    Figures are :func:`meterlab.evaluate.metrics.summary` dicts; ``calibration`` holds the
    arbiter's ``temperature``, the number of ``bins`` and, in ``priors``, per prior name,
    :func:`meterlab.evaluate.metrics.confidence_calibration` at that temperature
    (``calibrated``) and at 1 (``uncalibrated``); ``files`` holds one dict per file (path,
    meter, predicted, reference, probabilities, error). Saved runs are JSON
    (:meth:`record`) and read back with :meth:`from_record`.
    """

    metrics: dict = field(default_factory=dict)
    metrics_uniform: dict = field(default_factory=dict)
    reference: dict = field(default_factory=dict)
    per_source: dict = field(default_factory=dict)
    reference_per_source: dict = field(default_factory=dict)
    per_signal: dict = field(default_factory=dict)
    calibration: dict = field(default_factory=dict)
    files: list = field(default_factory=list)
    prior: str = ""
    prior_name: str = ""
    reference_classes: list = field(default_factory=list)
    signals: list = field(default_factory=list)
    signal_coverage: dict = field(default_factory=dict)
    unavailable_reasons: dict = field(default_factory=dict)
    signal_versions: dict = field(default_factory=dict)
    arbiter: str = "vote"
    arbiter_sha1: str = None
    #: Where the files came from, set by the caller (:func:`evaluate` does not know).
    dataset: str = ""
    split: str = ""
    limit: int = 0
    data_dir: str = ""

    def record(self):
        """The run as JSON-able data."""
        return asdict(self)

    @classmethod
    def from_record(cls, record):
        """A run saved by :meth:`record` (keys it does not know are left out)."""
        return cls(**{item.name: record[item.name] for item in fields(cls)
                      if item.name in record})


def evaluate(entries, predictor, workers=1, progress=True, cache_root=config.CACHE_DIR,
             scheduler=None, prior=None):
    """Predict ``entries``; returns the :class:`EvalRun`.

    ``metrics`` are under ``prior`` (a :class:`~meterlab.learn.priors.Prior`; ``None``: the
    default, :func:`meterlab.learn.priors.choose_prior`), ``metrics_uniform`` under the uniform
    prior, ``reference`` the same figures for madmom's tracker choosing among the
    arbiter's classes, ``per_signal`` for each signal alone; ``calibration`` under both
    priors, with and without the arbiter's temperature.
    """
    prior = prior or priors.choose_prior(None, predictor.classes)
    extraction = score_table(entries, predictor.signals, workers, cache_root, progress,
                             scheduler)
    table = extraction.table
    classes = sorted(set(predictor.classes) | {entry.meter for entry in entries})
    row_of = {path: row for row, path in enumerate(table.paths)}
    rows = [row_of.get(str(entry.path)) for entry in entries]

    def under(chosen, answering=predictor):
        """(entries, classes) probabilities of ``answering`` under the prior ``chosen``;
        NaN rows where a file could not be analysed."""
        moved = table_probabilities(table, answering, chosen, classes)
        full = np.full((len(entries), len(classes)), np.nan)
        for i, row in enumerate(rows):
            if row is not None:
                full[i] = moved[row]
        return full

    uniform_prior = priors.parse_prior(priors.UNIFORM)
    probabilities = under(prior)
    uniform = under(uniform_prior)
    truth = [entry.meter for entry in entries]
    plain = uncalibrated(predictor)
    calibration = calibration_record(
        truth, classes, lambda chosen, calibrated: under(chosen, predictor if calibrated
                                                          else plain),
        (prior, uniform_prior), predictor.temperature)
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
    alternatives = [entry.alt_meter for entry in entries]
    sources = [entry.source for entry in entries]
    return EvalRun(
        prior=prior.describe(predictor.classes),
        prior_name=prior.name,
        metrics=metrics.summary(truth, probabilities, classes, alternatives),
        metrics_uniform=metrics.summary(truth, uniform, classes, alternatives),
        reference=metrics.summary(truth, answers, classes, alternatives),
        reference_classes=list(predictor.classes),
        per_source=metrics.per_source(truth, probabilities, classes, sources, alternatives),
        reference_per_source=metrics.per_source(truth, answers, classes, sources, alternatives),
        per_signal=signal_accuracy(table, classes),
        calibration=calibration,
        files=files,
        signals=list(predictor.signals),
        signal_coverage=table.coverage() if table.paths else {},
        unavailable_reasons=extraction.unavailable_reasons,
        signal_versions=current_versions(predictor.signals),
        arbiter="vote" if predictor.path is None else str(predictor.path),
        arbiter_sha1=None if predictor.path is None else _sha1(predictor.path),
    )


def calibration_record(truth, classes, probabilities_at, chosen_priors, temperature):
    """An :class:`EvalRun`'s ``calibration``: for each prior of ``chosen_priors``,
    :func:`~meterlab.evaluate.metrics.confidence_calibration` of
    ``probabilities_at(prior, calibrated)``, (files, ``classes``) probabilities at
    ``temperature`` (``calibrated``) or at 1."""
    return {"temperature": temperature, "bins": ECE_BINS, "priors": {
        chosen.name: {key: metrics.confidence_calibration(
            truth, probabilities_at(chosen, key == "calibrated"), classes)
            for key in ("calibrated", "uncalibrated")}
        for chosen in chosen_priors}}


def recalibrated(run, predictor):
    """``run`` with the ``calibration`` :func:`evaluate` measures, for a run saved before it
    did, without predicting again.

    The files' saved probabilities, under the run's prior, are moved back to the
    arbiter's training prior, then tempered and moved again as :func:`evaluate` does.
    Right only for a run answered by ``predictor``'s models at temperature 1 (every run
    saved before calibration was measured); raises ``ValueError`` for a run that has its
    calibration.
    """
    if run.calibration:
        raise ValueError("the run has its calibration already (temperature "
                         f"{run.calibration['temperature']:g})")
    classes = run.metrics["classes"]
    saved = np.array([[np.nan] * len(predictor.classes) if record["probabilities"] is None
                      else [record["probabilities"][str(meter)] for meter in predictor.classes]
                      for record in run.files])
    raw = priors.reweight(saved, priors.parse_prior(run.prior_name).shares(predictor.classes),
                          predictor.training_prior)

    def probabilities_at(chosen, calibrated):
        tempered = temper(raw, predictor.temperature if calibrated else 1.0)
        return class_probabilities(tempered, predictor, chosen, classes)

    chosen_priors = {run.prior_name: priors.parse_prior(run.prior_name),
                     priors.UNIFORM: priors.parse_prior(priors.UNIFORM)}
    return replace(run, calibration=calibration_record(
        [record["meter"] for record in run.files], classes, probabilities_at,
        chosen_priors.values(), predictor.temperature))


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
