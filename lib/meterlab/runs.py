"""Evaluation runs on disk: one JSON per run, a confusion plot, and the saved baseline.

Every run is compared with the baseline (accuracy change, files that flipped); ``--save``
replaces the baseline only with a better run on the same split and file set.
"""
import json
from datetime import datetime
from pathlib import Path

from . import config
from .atomic import atomic_open, write_json

BASELINE = "baseline.json"


def save_run(run, runs_dir=config.RUNS_DIR):
    """Write ``<timestamp>.json`` and ``<timestamp>-confusion.png``; returns the JSON path."""
    runs_dir = Path(runs_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = runs_dir / f"{stamp}.json"
    write_json(path, run)
    plot_confusion(run["metrics"], runs_dir / f"{stamp}-confusion.png",
                   f"{run.get('dataset', '')} {run.get('split', '')}".strip())
    return path


def load_baseline(runs_dir=config.RUNS_DIR):
    path = Path(runs_dir) / BASELINE
    return json.loads(path.read_text()) if path.is_file() else None


def file_set(run):
    return sorted(record["path"] for record in run["files"])


def compare(run, baseline):
    """Accuracy change and flipped files against ``baseline``; ``None`` when not comparable."""
    if baseline is None or baseline.get("split") != run.get("split") \
            or file_set(baseline) != file_set(run):
        return None
    before = {r["path"]: r["predicted"] == r["meter"] for r in baseline["files"]}
    after = {r["path"]: r["predicted"] == r["meter"] for r in run["files"]}
    return {
        "accuracy_delta": run["metrics"]["accuracy"] - baseline["metrics"]["accuracy"],
        "improved": sorted(p for p in after if after[p] and not before[p]),
        "regressed": sorted(p for p in after if before[p] and not after[p]),
    }


def save_baseline(run, runs_dir=config.RUNS_DIR):
    """Make ``run`` the baseline if it beats the current one; returns (saved, reason)."""
    baseline = load_baseline(runs_dir)
    if baseline is None:
        write_json(Path(runs_dir) / BASELINE, run)
        return True, "no baseline yet: saved this run as the baseline"
    comparison = compare(run, baseline)
    if comparison is None:
        return False, ("not saved: the baseline is on another split or file set "
                       f"(delete {Path(runs_dir) / BASELINE} to start a new one)")
    if comparison["accuracy_delta"] <= 0:
        return False, (f"not saved: accuracy {run['metrics']['accuracy']:.3f} does not beat "
                       f"the baseline's {baseline['metrics']['accuracy']:.3f}")
    write_json(Path(runs_dir) / BASELINE, run)
    return True, f"saved as the new baseline ({comparison['accuracy_delta']:+.3f})"


def plot_confusion(summary, path, title=""):
    """The confusion matrix as a PNG: counts, with each row shaded by its share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    counts = np.asarray(summary["confusion"])
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    labels = [str(meter) for meter in summary["classes"]]
    figure, axes = plt.subplots(figsize=(1.2 * len(labels) + 2, 1.1 * len(labels) + 1.5))
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(counts):
        axes.text(j, i, str(count), ha="center", va="center",
                  color="white" if shares[i, j] > 0.6 else "black")
    axes.set_xticks(range(len(labels)), labels)
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted beats per bar")
    axes.set_ylabel("true beats per bar")
    axes.set_title(f"{title}  accuracy {summary['accuracy']:.1%} "
                   f"({summary['correct']}/{summary['n']})".strip())
    figure.tight_layout()
    with atomic_open(path) as stream:
        figure.savefig(stream, format="png", dpi=120)
    plt.close(figure)


def latest_run(runs_dir=config.RUNS_DIR, split="test"):
    """The newest saved run on ``split`` (run files sort by their timestamp names)."""
    for path in sorted(Path(runs_dir).glob("2*.json"), reverse=True):
        run = json.loads(path.read_text())
        if run.get("split") == split:
            return path, run
    return None, None


def markdown_summary(run, source):
    """The accuracy tables of a run, in Markdown, naming the run file they came from."""
    from tabulate import tabulate

    summary = run["metrics"]
    lines = [f"Eval of `{Path(run['arbiter']).name}` on the {run.get('dataset', '')} {run['split']} split "
             f"(`{Path(source).name}`):", ""]
    overall = [["accuracy", f"{summary['correct']}/{summary['n']} ({summary['accuracy']:.1%})"],
               ["balanced accuracy", f"{summary['balanced_accuracy']:.1%}"]]
    if "binary_3v4_accuracy" in summary:
        overall.append(["binary 3 vs 4", f"{summary['binary_3v4_accuracy']:.1%} "
                                         f"of {summary['binary_3v4_n']}"])
    overall.append(["failed files", str(summary["failed"])])
    lines += [tabulate(overall, headers=["", ""], tablefmt="github"), ""]
    lines += [tabulate([[meter, f"{accuracy:.1%}"] for meter, accuracy in
                        sorted(summary["per_class"].items(), key=lambda kv: int(kv[0]))],
                       headers=["meter", "accuracy"], tablefmt="github")]
    return "\n".join(lines)
