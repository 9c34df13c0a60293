"""The tables of an eval run, for the terminal (eval) and for the README (``make results``):
the arbiter under its prior and under uniform, madmom's own tracker and each signal
alone, side by side; accuracy per source; the confusion matrix; the calibration of the
arbiter's confidence."""
from pathlib import Path

from tabulate import tabulate

from .reference import LABEL as REFERENCE_LABEL


def _share(summary, key):
    """``summary[key]`` as a percentage; a run read back from JSON has its per-class
    keys as strings."""
    value = summary.get(key, summary.get(str(key)))
    return "" if value is None else f"{value:.1%}"


def comparison(run, tablefmt="simple"):
    """One row per answer (arbiter, arbiter under uniform, reference, each signal):
    accuracy, balanced accuracy, accuracy per class, binary 3 vs 4."""
    summary = run.metrics
    classes = summary["classes"]
    answers = [(f"arbiter, prior {run.prior_name}", summary),
               ("arbiter, prior uniform", run.metrics_uniform),
               (f"{REFERENCE_LABEL}, beats_per_bar={run.reference_classes}",
                run.reference)]
    answers += [(f"{name} alone", run.per_signal[name]) for name in run.signals
                if name in run.per_signal]
    rows = [[name, f"{s['correct']}/{s['n']}", _share(s, "accuracy"),
             _share(s, "balanced_accuracy")]
            + [_share(s["per_class"], meter) for meter in classes]
            + [_share(s, "binary_3v4_accuracy")] for name, s in answers]
    return tabulate(rows, tablefmt=tablefmt, headers=[
        "", "correct", "accuracy", "balanced"] + [str(meter) for meter in classes]
        + [f"3 vs 4 (of {summary.get('binary_3v4_n', 0)})"])


def shortfalls(run):
    """Where the arbiter (under its prior) loses to the reference or to the best signal
    alone, on accuracy or binary 3 vs 4: the issue's bar, as sentences."""
    summary = run.metrics
    rivals = [(REFERENCE_LABEL, run.reference)] + [
        (f"{name} alone", s) for name, s in run.per_signal.items()]
    lost = []
    for key, label in (("accuracy", "accuracy"), ("binary_3v4_accuracy", "binary 3 vs 4")):
        if summary.get(key) is None:
            continue
        for name, rival in rivals:
            if rival.get(key) is not None and rival[key] > summary[key]:
                lost.append(f"{label}: arbiter {summary[key]:.1%} < {name} {rival[key]:.1%}")
    return lost


def per_source(run, tablefmt="simple"):
    """Accuracy of each source (METER2800's FMA, MAG, ...; the corpus; the score
    collections) on its own, with the reference's beside it."""
    lenient = any("accuracy_with_alt" in s for s in run.per_source.values())
    rows = []
    for source, s in run.per_source.items():
        rows.append([source, s["n"], f"{s['correct']}/{s['n']}", _share(s, "accuracy"),
                     _share(s, "balanced_accuracy"), s["failed"],
                     _share(run.reference_per_source[source], "accuracy")]
                    + ([_share(s, "accuracy_with_alt")] if lenient else []))
    return tabulate(rows, tablefmt=tablefmt, headers=[
        "source", "files", "correct", "accuracy", "balanced", "failed", "reference"]
        + (["with alt_meter"] if lenient else []))


def confusion(summary, tablefmt="simple"):
    classes = summary["classes"]
    return tabulate([[f"true {meter}"] + row for meter, row in zip(classes, summary["confusion"])],
                    tablefmt=tablefmt,
                    headers=["confusion"] + [f"pred {meter}" for meter in classes])


def calibration(run, tablefmt="simple"):
    """The arbiter's expected calibration error under each prior, at temperature 1 and
    at its own; ``None`` for a run saved before calibration was measured."""
    record = run.calibration
    if not record:
        return None
    temperature = record["temperature"]
    rows = []
    for prior, figures in record["priors"].items():
        rows.append([f"arbiter, prior {prior}", figures["calibrated"]["n"]] + [
            cell for key in ("uncalibrated", "calibrated") for cell in (
                f"{figures[key]['correct']}/{figures[key]['n']}",
                f"{figures[key]['mean_confidence']:.3f}", f"{figures[key]['ece']:.3f}")])
    return tabulate(rows, tablefmt=tablefmt, disable_numparse=True, headers=["", "files"] + [
        f"{heading}, T={value:.3g}" for value in (1.0, temperature)
        for heading in ("correct", "mean confidence", f"ECE ({record['bins']} bins)")])


def calibration_caption(run):
    """What :func:`calibration`'s table measures, in one sentence."""
    return (f"Calibration of the arbiter's confidence (its top probability) on the "
            f"{run.calibration['priors'][run.prior_name]['calibrated']['n']} analysed files: "
            f"expected calibration error over {run.calibration['bins']} equal-width bins, "
            f"at temperature 1 and at the arbiter's T={run.calibration['temperature']:.3g} "
            "(fitted on the grid's out-of-fold predictions).")


def title(run):
    """``"corpus test split, 48 files, prior meter2800 (...)"``."""
    return (f"{run.dataset} {run.split} split, {run.metrics['n']} files, "
            f"prior {run.prior}")


def markdown(run, source, figure=None, reliability_figure=None):
    """A run's tables in Markdown, naming the run file they came from."""
    lines = [f"**{run.dataset}** {run.split} split: eval of "
             f"`{Path(run.arbiter).name}` (`{Path(source).name}`), "
             f"{run.metrics['n']} files, {run.metrics['failed']} failed; prior "
             f"{run.prior}.", "", comparison(run, "github"), ""]
    if run.per_source:
        lines += [per_source(run, "github"), ""]
    lines += [confusion(run.metrics, "github")]
    if figure:
        lines += ["", f"![confusion matrix, {run.dataset}]({figure})"]
    table = calibration(run, "github")
    if table:
        lines += ["", calibration_caption(run), "", table]
    if reliability_figure:
        lines += ["", f"![reliability diagram, {run.dataset}]({reliability_figure})"]
    return "\n".join(lines)
