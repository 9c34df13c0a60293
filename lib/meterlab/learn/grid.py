"""Grid search over arbiter hyper-parameters by K-fold cross-validation over songs.

Every configuration is trained K times, each time without one fold of the tuning songs
(:func:`meterlab.data.datasets.song_folds`, the same folds for every configuration) and scored
on that fold. The winner has the best mean accuracy over the folds; configurations within
one standard error of that mean (the sd over folds / sqrt(K)) are taken as tied with it,
and of those the one listed first, the simplest, wins. The winner is then refitted on
every tuning file for the median of its folds' early-stopping epochs, so nothing needs to
be held out to stop on; the test split is never read. Its confidence is calibrated by a
temperature fitted on its folds' held-out (out-of-fold) probabilities, which every run
records (:mod:`meterlab.learn.calibration`).

Every finished (configuration, fold) run is recorded at once, atomically, in
``results.json`` with the fingerprint of the data and the settings it ran with, so an
interrupted grid resumes with the runs still missing, and a grid over changed data or
settings starts over by itself.
"""
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import arbiter, calibration
from ..data.datasets import song_folds
from ..engine.atomic import atomic_open, write_json
from ..engine.run import map_files
from .table import ScoreTable

RESULTS_FILE = "results.json"
FOLD_SALT = "arbiter-grid-fold"
#: Per-signal sharpening powers to try, simplest first.
SHARPEN_OPTIONS = (
    "",
    "autocorr:2",
    "madmom:2,beatnet:2,beat_this:2",
    "bar_tracking:2,hcdf:2,onset_mlp:2",
    "autocorr:2,madmom:2,beatnet:2,beat_this:2,bar_tracking:2,hcdf:2,onset_mlp:2",
)
#: Class-weight multipliers for the rare meters, simplest first.
BOOST_RARE_OPTIONS = (1.0, 1.5, 2.0)
#: How the winner is chosen, as recorded in its checkpoint.
TIE_RULE = "best mean over folds; within one standard error of it, the configuration listed first"


class GridError(RuntimeError):
    """The grid cannot run (too few songs) or lost a training (a killed worker)."""


@dataclass(frozen=True)
class GridPoint:
    sharpen: str
    boost_rare: float

    @property
    def name(self):
        sharpen = self.sharpen.replace(":", "").replace(",", "+") or "none"
        return f"sharpen-{sharpen}_boost-{self.boost_rare:g}"


@dataclass(frozen=True)
class CVSettings:
    """Folds over songs; seeds per arbiter, whose models it averages (in every fold, as
    in the refit); epoch cap per training."""

    folds: int = 5
    seeds: int = 5
    epochs: int = 300


@dataclass(frozen=True)
class CVSummary:
    """A configuration's cross-validation: accuracy per fold, per class and per dataset
    (held-out files pooled over folds), stop epochs."""

    fold_accuracies: tuple
    per_class: dict
    best_epochs: tuple
    per_dataset: dict = None

    @property
    def mean(self):
        return float(np.mean(self.fold_accuracies))

    @property
    def sd(self):
        """Sample standard deviation over folds (0 for a single fold)."""
        return float(np.std(self.fold_accuracies, ddof=1)) if len(self.fold_accuracies) > 1 else 0.0

    @property
    def standard_error(self):
        return self.sd / np.sqrt(len(self.fold_accuracies))

    @property
    def refit_epochs(self):
        """Epochs for the refit: the median epoch at which the fold trainings stopped."""
        return int(np.median(self.best_epochs)) + 1

    def record(self):
        """JSON-able numbers for the checkpoint."""
        return {"folds": len(self.fold_accuracies), "accuracy_mean": self.mean,
                "accuracy_sd": self.sd, "fold_accuracies": list(self.fold_accuracies),
                "per_class": dict(self.per_class), "per_dataset": dict(self.per_dataset or {}),
                "best_epochs": list(self.best_epochs),
                "refit_epochs": self.refit_epochs, "selection": TIE_RULE}


def grid_points(sharpen_options, boost_options):
    """Every combination, in listing order (the first listed counts as the simplest)."""
    return [GridPoint(sharpen, boost) for sharpen in sharpen_options for boost in boost_options]


def run_key(point, fold):
    return f"{point.name}/fold{fold}"


def load_results(out_dir):
    path = Path(out_dir) / RESULTS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def current_results(results, fingerprint, settings):
    """The recorded runs made on this data with these settings (runs recorded before the
    held-out probabilities were kept are run again)."""
    return {key: record for key, record in results.items()
            if record.get("dataset_fingerprint") == fingerprint and "probabilities" in record
            and record.get("folds") == settings.folds and record.get("seeds") == settings.seeds
            and record.get("epochs") == settings.epochs}


def pending(points, results, fingerprint, settings):
    """``(point, fold)`` runs without a finished record on this data and these settings."""
    done = current_results(results, fingerprint, settings)
    return [(point, fold) for point in points for fold in range(settings.folds)
            if run_key(point, fold) not in done]


def fold_mask(table, fold, n_folds):
    """Rows of ``table`` whose song falls in ``fold``."""
    fold_of_song = song_folds(table.song_ids, n_folds, FOLD_SALT)
    return np.array([fold_of_song[song] == fold for song in table.song_ids])


def _run_fold(job):
    point, fold, table_path, settings = job
    table = ScoreTable.load(table_path)
    held_out = fold_mask(table, fold, settings.folds)
    run = arbiter.fold_run(table, arbiter_settings(point, settings.seeds, settings.epochs),
                           held_out)
    return point, fold, {
        "sharpen": point.sharpen, "boost_rare": point.boost_rare, "fold": fold,
        "folds": settings.folds, "seeds": settings.seeds, "epochs": settings.epochs,
        "correct": {str(meter): count for meter, count in run["correct"].items()},
        "n": {str(meter): count for meter, count in run["n"].items()},
        "datasets": run["datasets"], "best_epochs": run["best_epochs"],
        "rows": run["rows"], "probabilities": run["probabilities"],
        "training_prior": run["training_prior"],
        "dataset_fingerprint": table.fingerprint(),
    }


def arbiter_settings(point, seeds, epochs=arbiter.ArbiterSettings.epochs):
    """The arbiter's training settings at grid point ``point``."""
    return arbiter.ArbiterSettings(arbiter.parse_sharpen(point.sharpen), point.boost_rare,
                                   n_seeds=seeds, epochs=epochs)


def _lost_fold(job, cause):
    """What a fold whose worker died yields: its place in the grid and why."""
    point, fold, _, _ = job
    return point, fold, cause


def check_songs(table, path):
    """Raise :class:`GridError` unless ``table`` holds enough songs to cross-validate."""
    n_songs = len(set(table.song_ids))
    if n_songs < 3:
        raise GridError(f"{path}: {n_songs} song(s); cross-validation needs at least 3 "
                        "(one held out, one to train on, one to stop early on)")
    return n_songs


def run_grid(points, table_path, out_dir, workers=1, settings=CVSettings(), progress=print,
             scheduler=None):
    """Run every pending (configuration, fold) on the project's runner
    (:func:`meterlab.engine.run.map_files`); returns the results of this data and these
    settings (older records are dropped). Folds whose worker died (killed for memory,
    say) raise :class:`GridError` naming them, once every other fold is done and saved."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = ScoreTable.load(table_path).fingerprint()
    results = current_results(load_results(out_dir), fingerprint, settings)
    todo = pending(points, results, fingerprint, settings)
    jobs_list = [(point, fold, table_path, settings) for point, fold in todo]
    runs = map_files(_run_fold, jobs_list, workers, False, on_lost=_lost_fold,
                     scheduler=scheduler)
    _collect(runs, results, out_dir, len(todo), progress)
    return results


def _collect(finished_runs, results, out_dir, total, progress):
    lost = []
    for done, (point, fold, record) in enumerate(finished_runs, start=1):
        if isinstance(record, str):
            lost.append(f"{point.name} without fold {fold} ({record})")
            progress(f"[{done}/{total}] {point.name} fold {fold}: lost, {record}")
            continue
        results[run_key(point, fold)] = record
        write_json(out_dir / RESULTS_FILE, results)
        progress(f"[{done}/{total}] {point.name} fold {fold}: {_accuracy(record):.3f}")
    if lost:
        raise GridError(f"{len(lost)} training(s) lost: {'; '.join(lost)}; the other folds "
                        "are saved, run the grid again to resume")


def _accuracy(record):
    """Held-out accuracy of one fold's record (seeds pooled)."""
    return sum(record["correct"].values()) / max(sum(record["n"].values()), 1)


def summarise(points, results, settings):
    """``{point name: CVSummary}`` of every configuration whose folds are all done."""
    summaries = {}
    for point in points:
        records = [results.get(run_key(point, fold)) for fold in range(settings.folds)]
        if any(record is None for record in records):
            continue
        correct = {m: sum(r["correct"][m] for r in records) for m in records[0]["n"]}
        n = {m: sum(r["n"][m] for r in records) for m in records[0]["n"]}
        by_dataset = {}
        for record in records:
            for name, (right, total) in record.get("datasets", {}).items():
                pooled = by_dataset.setdefault(name, [0, 0])
                pooled[0] += right
                pooled[1] += total
        summaries[point.name] = CVSummary(
            fold_accuracies=tuple(_accuracy(record) for record in records),
            per_class={m: correct[m] / n[m] for m in sorted(n, key=int) if n[m]},
            best_epochs=tuple(epoch for r in records for epoch in r["best_epochs"]),
            per_dataset={name: right / total for name, (right, total) in sorted(by_dataset.items())
                         if total})
    return summaries


def winner(points, summaries):
    """The first listed configuration within one standard error of the best mean."""
    scored = [point for point in points if point.name in summaries]
    if not scored:
        raise ValueError("no configuration has finished all its folds")
    best = max(scored, key=lambda point: summaries[point.name].mean)
    floor = summaries[best.name].mean - summaries[best.name].standard_error - 1e-12
    return next(point for point in scored if summaries[point.name].mean >= floor)


def out_of_fold(point, results, table, n_folds):
    """``point``'s held-out probabilities over its ``n_folds`` folds, the rows' class
    indices in ``table`` and the training prior of each row's fold model."""
    records = [results[run_key(point, fold)] for fold in range(n_folds)]
    classes = sorted(set(table.meters.tolist()))
    rows = np.concatenate([record["rows"] for record in records]).astype(int)
    labels = np.array([classes.index(meter) for meter in table.meters[rows]])
    probabilities = np.concatenate([record["probabilities"] for record in records])
    trained_under = np.concatenate([np.tile(record["training_prior"], (len(record["rows"]), 1))
                                    for record in records])
    return probabilities, labels, trained_under


def refit_winner(point, summary, table_path, out_dir, destination, seeds=CVSettings.seeds,
                 results=None):
    """Refit ``point`` (an ensemble of ``seeds`` models, as cross-validated) on every
    tuning file, with the temperature fitted on its out-of-fold ``results`` (none: no
    calibration); save it in ``out_dir`` and copy it atomically to ``destination``;
    returns the checkpoint."""
    table = ScoreTable.load(table_path)
    calibrated = (calibration.calibrate(*out_of_fold(point, results, table,
                                                     len(summary.fold_accuracies)))
                  if results is not None else None)
    checkpoint = arbiter.refit(table, arbiter_settings(point, seeds), summary.refit_epochs,
                               summary.record(), calibrated)
    saved = Path(out_dir) / f"{point.name}.pt"
    arbiter.save(checkpoint, saved)
    with open(saved, "rb") as source, atomic_open(destination) as target:
        shutil.copyfileobj(source, target)
    return checkpoint


def summary_rows(points, summaries, chosen=None):
    """Rows for the results table, best mean first (listing order on ties); ``chosen``
    is marked."""
    ranked = sorted((point for point in points if point.name in summaries),
                    key=lambda point: -summaries[point.name].mean)
    rows = []
    for point in ranked:
        summary = summaries[point.name]
        per_class = " ".join(f"{meter}:{accuracy:.2f}" for meter, accuracy in summary.per_class.items())
        per_dataset = " ".join(f"{name} {accuracy:.3f}"
                               for name, accuracy in (summary.per_dataset or {}).items())
        rows.append(["*" if point == chosen else "", point.sharpen or "-", point.boost_rare,
                     f"{summary.mean:.3f} ± {summary.sd:.3f}", per_class, per_dataset or "-",
                     summary.refit_epochs])
    return rows
