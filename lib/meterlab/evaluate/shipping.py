"""``make ship-models``: commit a finished ``make all``'s models into the package.

The arbiter and the onset MLP of ``data/`` are copied into ``meterlab/models/`` with
``PROVENANCE.json`` beside them (see :mod:`meterlab.learn.shipped`): the commit, seed,
data, cross-validation and test figures, the library versions and the signal versions
they were trained with. Only models that fit the code as it is are shipped: an arbiter
whose signals changed since training is refused, as predict would refuse it.
"""
import shutil
import subprocess
from datetime import datetime, timezone

from .. import config
from ..engine.atomic import atomic_open, write_json
from ..engine.cache import file_digest
from ..engine.versions import library_version, signal_libraries
from ..learn import shipped
from ..learn.mlp import CheckpointError
from ..learn.predictor import check_versions, load_predictor
from .runs import latest_run

#: The commands that make what is shipped, for the provenance.
COMMAND = "make all && make ship-models"
#: Libraries behind every model besides the signals' own.
BASE_LIBRARIES = ("numpy", "torch")


def git_commit():
    """The commit the working tree is at (``-dirty`` when it has changes), or ``"unknown"``."""
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=40"],
                              cwd=config.REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _copy(source, destination):
    with open(source, "rb") as reader, atomic_open(destination) as writer:
        shutil.copyfileobj(reader, writer)


def held_out_figures(arbiter_sha1, datasets, runs_dir):
    """``{dataset: metrics}`` of the newest test run of each dataset made with this arbiter."""
    figures = {}
    for dataset in datasets:
        path, run = latest_run(dataset, runs_dir)
        if run is not None and run.arbiter_sha1 == arbiter_sha1:
            figures[dataset] = {"run": path.name, "accuracy": run.metrics["accuracy"],
                                "balanced_accuracy": run.metrics["balanced_accuracy"],
                                "per_class": run.metrics["per_class"], "n": run.metrics["n"]}
    return figures


def ship(destination=None, runs_dir=None):
    """Copy ``data/``'s arbiter and onset MLP into ``destination`` (default: the package's
    models folder) with their provenance; returns the provenance.

    Raises
    ------
    CheckpointError
        When either model is missing or the arbiter no longer fits the signals' code.
    """
    destination = destination or shipped.MODELS_DIR
    runs_dir = runs_dir or config.RUNS_DIR
    for path, target in ((config.ARBITER_CHECKPOINT, "make grid"),
                         (config.ONSET_MLP_CHECKPOINT, "make onset-mlp")):
        if not path.is_file():
            raise CheckpointError(f"{path}: not found; `{target}` (or `make all`) writes it")
    predictor = load_predictor(config.ARBITER_CHECKPOINT)
    check_versions(predictor)
    checkpoint = predictor.checkpoint
    cross_validation = checkpoint.get("cross_validation", {})
    arbiter_sha1 = file_digest(config.ARBITER_CHECKPOINT)
    libraries = {**{name: library_version(name) for name in BASE_LIBRARIES},
                 **signal_libraries(predictor.signals)}
    record = {
        "command": COMMAND,
        "commit": git_commit(),
        "shipped": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dataset": "+".join(sorted(cross_validation.get("per_dataset", {}))) or "unknown",
        "dataset_fingerprint": checkpoint.get("dataset_fingerprint"),
        "songs": len(checkpoint.get("song_ids", ())),
        "seed": checkpoint["hyper_parameters"].get("seed"),
        "hyper_parameters": checkpoint["hyper_parameters"],
        "classes": list(predictor.classes),
        "signals": list(predictor.signals),
        "signal_versions": dict(checkpoint["versions"]),
        "libraries": dict(sorted(libraries.items())),
        "cross_validation": cross_validation,
        "test": held_out_figures(arbiter_sha1, cross_validation.get("per_dataset", {}), runs_dir),
        "files": {shipped.ARBITER: arbiter_sha1,
                  shipped.ONSET_MLP: file_digest(config.ONSET_MLP_CHECKPOINT)},
    }
    _copy(config.ARBITER_CHECKPOINT, destination / shipped.ARBITER)
    _copy(config.ONSET_MLP_CHECKPOINT, destination / shipped.ONSET_MLP)
    write_json(destination / shipped.PROVENANCE, record)
    return record
