"""Evaluation runs on disk: one JSON per run, a confusion plot, a reliability diagram,
and the saved baseline.

Every run is compared with its dataset's baseline (accuracy change, files that flipped);
``--save`` replaces the baseline only with a better run on the same split and file set.
"""
import json
from datetime import datetime
from pathlib import Path

from .. import config
from ..engine.atomic import atomic_open, write_json
from .evaluation import EvalRun

BASELINE = "baseline-{dataset}.json"


def save_run(run, runs_dir=config.RUNS_DIR):
    """Write ``<timestamp>.json``, ``<timestamp>-confusion.png`` and (when the run measured
    calibration) ``<timestamp>-reliability.png``; returns the JSON path."""
    runs_dir = Path(runs_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = runs_dir / f"{stamp}.json"
    write_json(path, run.record())
    title = f"{run.dataset} {run.split}".strip()
    plot_confusion(run.metrics, figure_path(path, "confusion"), title)
    if run.calibration:
        plot_reliability(run.calibration, figure_path(path, "reliability"), title)
    return path


def figure_path(run_path, kind):
    """The PNG of ``kind`` (``confusion``, ``reliability``) saved beside a run's JSON."""
    run_path = Path(run_path)
    return run_path.with_name(f"{run_path.stem}-{kind}.png")


def baseline_path(dataset, runs_dir=config.RUNS_DIR):
    """Each dataset keeps its own baseline (eval reports the corpus and the scores apart)."""
    return Path(runs_dir) / BASELINE.format(dataset=dataset or "corpus")


def load_run(path):
    """A saved :class:`EvalRun`."""
    return EvalRun.from_record(json.loads(Path(path).read_text()))


def load_baseline(dataset, runs_dir=config.RUNS_DIR):
    path = baseline_path(dataset, runs_dir)
    return load_run(path) if path.is_file() else None


def file_set(run):
    return sorted(record["path"] for record in run.files)


def compare(run, baseline):
    """Accuracy change and flipped files against ``baseline``; ``None`` when not comparable."""
    if baseline is None or baseline.split != run.split or file_set(baseline) != file_set(run):
        return None
    before = {r["path"]: r["predicted"] == r["meter"] for r in baseline.files}
    after = {r["path"]: r["predicted"] == r["meter"] for r in run.files}
    return {
        "accuracy_delta": run.metrics["accuracy"] - baseline.metrics["accuracy"],
        "improved": sorted(p for p in after if after[p] and not before[p]),
        "regressed": sorted(p for p in after if before[p] and not after[p]),
    }


def save_baseline(run, runs_dir=config.RUNS_DIR):
    """Make ``run`` the baseline of its dataset if it beats the current one; returns
    (saved, reason)."""
    path = baseline_path(run.dataset, runs_dir)
    baseline = load_baseline(run.dataset, runs_dir)
    if baseline is None:
        write_json(path, run.record())
        return True, "no baseline yet: saved this run as the baseline"
    comparison = compare(run, baseline)
    if comparison is None:
        return False, ("not saved: the baseline is on another split or file set "
                       f"(delete {path} to start a new one)")
    if comparison["accuracy_delta"] <= 0:
        return False, (f"not saved: accuracy {run.metrics['accuracy']:.3f} does not beat "
                       f"the baseline's {baseline.metrics['accuracy']:.3f}")
    write_json(path, run.record())
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


def plot_reliability(record, path, title=""):
    """Reliability diagram of an eval's ``calibration`` record, one panel per prior:
    accuracy against mean confidence in each bin, at temperature 1 and at the arbiter's,
    each point's area proportional to its bin's files; the diagonal is perfect
    calibration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    panels = record["priors"]
    figure, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.6),
                                squeeze=False)
    for ax, (prior, figures) in zip(axes[0], panels.items()):
        ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", label="calibrated")
        for key, temperature, style in (("uncalibrated", 1.0, "s--"),
                                        ("calibrated", record["temperature"], "o-")):
            bins = figures[key]["bins"]
            count = np.asarray(bins["count"])
            full = count > 0
            x = np.asarray(bins["confidence"])[full]
            y = np.asarray(bins["accuracy"])[full]
            line, = ax.plot(x, y, style, markersize=0,
                            label=f"T={temperature:.3g}: ECE {figures[key]['ece']:.3f}")
            ax.scatter(x, y, s=12 + 300 * count[full] / max(count.sum(), 1),
                       color=line.get_color(), alpha=0.7, marker=style[0])
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xticks(bins["edges"][::2])
        ax.grid(alpha=0.3)
        ax.set_xlabel("confidence (top probability), bin mean; area: files")
        ax.set_ylabel("accuracy in bin")
        ax.set_title(f"{title}, prior {prior}".strip(", "))
        ax.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    with atomic_open(path) as stream:
        figure.savefig(stream, format="png", dpi=120)
    plt.close(figure)


def latest_run(dataset, runs_dir=config.RUNS_DIR, split="test"):
    """The newest saved run of ``dataset`` on ``split`` (run files sort by their
    timestamp names); ``(None, None)`` when there is none."""
    for path in sorted(Path(runs_dir).glob("2*.json"), reverse=True):
        run = load_run(path)
        if run.split == split and run.dataset == dataset:
            return path, run
    return None, None
