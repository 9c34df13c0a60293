"""Grid search over arbiter hyper-parameters: resumable, parallel, chosen on validation.

Every finished run is recorded at once (atomically) in ``results.json`` with the
fingerprint of the data it was trained on, so an interrupted grid resumes with the
runs still missing, and a grid over changed data starts over by itself.
"""
import json
import shutil
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from . import arbiter
from .atomic import atomic_open, write_json
from .extract import ScoreTable

RESULTS_FILE = "results.json"


@dataclass(frozen=True)
class GridPoint:
    sharpen: str
    boost_rare: float

    @property
    def name(self):
        sharpen = self.sharpen.replace(":", "").replace(",", "+") or "none"
        return f"sharpen-{sharpen}_boost-{self.boost_rare:g}"


def grid_points(sharpen_options, boost_options):
    """Every combination, in listing order (the first listed counts as the simplest)."""
    return [GridPoint(sharpen, boost) for sharpen in sharpen_options for boost in boost_options]


def load_results(out_dir):
    path = Path(out_dir) / RESULTS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def pending(points, results, fingerprint, out_dir, seeds, epochs):
    """Points without a finished run on this data and these settings."""
    def finished(point):
        record = results.get(point.name)
        return (record is not None and record["dataset_fingerprint"] == fingerprint
                and record["seeds"] == seeds and record["epochs"] == epochs
                and (Path(out_dir) / f"{point.name}.pt").is_file())
    return [point for point in points if not finished(point)]


def _train_point(job):
    point, table_path, out_dir, seeds, epochs = job
    import torch

    torch.set_num_threads(1)
    table = ScoreTable.load(table_path)
    settings = arbiter.ArbiterSettings(arbiter.parse_sharpen(point.sharpen), point.boost_rare,
                                       0, seeds, epochs)
    checkpoint = arbiter.train(table, settings)
    arbiter.save(checkpoint, Path(out_dir) / f"{point.name}.pt")
    return point, {
        "sharpen": point.sharpen, "boost_rare": point.boost_rare, "seeds": seeds,
        "epochs": epochs, "val_accuracy": checkpoint["val_accuracy"],
        "val_accuracy_mean": checkpoint["val_accuracy_mean"],
        "val_accuracy_std": checkpoint["val_accuracy_std"],
        "val_per_class": {str(k): v for k, v in checkpoint["val_per_class"].items()},
        "dataset_fingerprint": checkpoint["dataset_fingerprint"],
    }


def run_grid(points, table_path, out_dir, jobs=1, seeds=3, epochs=300, progress=print):
    """Train every pending point, ``jobs`` at a time; returns the results of all points."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = ScoreTable.load(table_path).fingerprint()
    results = load_results(out_dir)
    todo = pending(points, results, fingerprint, out_dir, seeds, epochs)
    jobs_list = [(point, table_path, out_dir, seeds, epochs) for point in todo]
    if jobs > 1 and len(jobs_list) > 1:
        with get_context("fork").Pool(jobs) as pool:
            _collect(pool.imap_unordered(_train_point, jobs_list), results, out_dir, progress)
    else:
        _collect(map(_train_point, jobs_list), results, out_dir, progress)
    return results


def _collect(finished_runs, results, out_dir, progress):
    for point, record in finished_runs:
        results[point.name] = record
        write_json(out_dir / RESULTS_FILE, results)
        progress(f"{point.name}: val {record['val_accuracy']:.3f}")


def winner(points, results):
    """Highest validation accuracy; ties go to the point listed first (the simpler)."""
    scored = [(results[p.name]["val_accuracy"], -index, p)
              for index, p in enumerate(points) if p.name in results]
    if not scored:
        raise ValueError("no finished grid runs")
    return max(scored, key=lambda item: item[:2])[2]


def install_winner(point, out_dir, destination):
    """Copy the winner's checkpoint atomically to ``destination``."""
    with open(Path(out_dir) / f"{point.name}.pt", "rb") as source, \
            atomic_open(destination) as target:
        shutil.copyfileobj(source, target)


def summary_rows(points, results):
    """Rows for the results table, best first."""
    rows = []
    for point in points:
        record = results.get(point.name)
        if record is None:
            continue
        per_class = " ".join(f"{k}:{v:.2f}" for k, v in sorted(record["val_per_class"].items(),
                                                                key=lambda kv: int(kv[0])))
        rows.append([point.sharpen or "-", point.boost_rare, record["val_accuracy"],
                     f"{record['val_accuracy_mean']:.3f} ± {record['val_accuracy_std']:.3f}",
                     per_class])
    return sorted(rows, key=lambda row: -row[2])
