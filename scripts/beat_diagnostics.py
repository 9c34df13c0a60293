"""How much meter accuracy beat tracking costs, on a split whose files have beat
annotations (the embedded corpus and real scores have them).

    python scripts/beat_diagnostics.py --dataset scores --split test
    make beat-diagnostics DATASET=scores

Files are grouped by how the tracker did against the annotation: ``same level`` (the
tracked beat period is the annotated one), ``other level`` (half, double, dotted...) and
``held beats`` (the performance holds a beat over 1.6 times the median, a fermata or a
pause, where a tracker keeping its tempo counts extra beats). For each group: the beat
F-measure, then the arbiter and every signal that reads the beats, run on the tracked
beats and again on the annotated ones ("tracked -> annotated"). Signals that do not read
the beats are left out (the same either way). The arbiter is the trained checkpoint: on a
split it was trained on (not test), its figures are not held out.
"""
import argparse
import sys

from tabulate import tabulate

from meterlab import beat_diagnosis, cli
from meterlab.corpus import annotation_path
from meterlab.datasets import SPLIT_GROUPS
from meterlab.evaluation import class_probabilities, signal_votes
from meterlab.signals import signal_module


def pair(before, after, key):
    """``"85.0% -> 93.3%"`` of one figure of two summaries (blank where there are none)."""
    if before is None or key not in before:
        return ""
    return f"{before[key]:.1%} -> {after[key]:.1%}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_dataset_arguments(parser, default_split="test")
    cli.add_predictor_arguments(parser)
    parser.add_argument("-w", "--workers", type=int, default=1)
    args = parser.parse_args(argv)

    predictor = cli.load_checked_predictor(args.checkpoint)
    prior = cli.checked_prior(args.prior, predictor)
    entries = cli.load_entries(args)
    annotated = [entry for entry in entries if annotation_path(entry.path).is_file()]
    if not annotated:
        sys.exit(f"error: no file of {args.dataset} {args.split} has a beat annotation "
                 f"(expected e.g. {annotation_path(entries[0].path)})")
    if len(annotated) < len(entries):
        print(f"{len(entries) - len(annotated)} files without a beat annotation left out")

    diagnosis = beat_diagnosis.diagnose(annotated, predictor.signals, args.workers)
    cli.report_problems(diagnosis["problems"], "files that could not be analysed")
    tracked, oracle = diagnosis["tracked"], diagnosis["annotated"]
    conditions = diagnosis["conditions"]
    classes = sorted(set(predictor.classes) | set(tracked.meters.tolist()))

    def summaries(table, probabilities_of):
        return beat_diagnosis.by_condition(table.meters, probabilities_of(table), classes,
                                           conditions)

    def arbiter(table):
        return class_probabilities(predictor.probabilities(table), predictor, prior, classes)

    before, after = summaries(tracked, arbiter), summaries(oracle, arbiter)
    groups = list(before)
    held_out = "test" in SPLIT_GROUPS.get(args.split, ())
    print(f"\n{args.dataset} {args.split}: {len(tracked.paths)} files, classes {classes}, "
          f"prior {prior.name}" + ("" if held_out else
                                   "; the arbiter was trained on these files"))
    rows = []
    for group in groups:
        if before[group] is None:
            continue
        mask = slice(None) if group == "all" else conditions == group
        rows.append([group, before[group]["n"], f"{diagnosis['fmeasures'][mask].mean():.2f}",
                     pair(before[group], after[group], "accuracy"),
                     pair(before[group], after[group], "binary_3v4_accuracy")])
    print(tabulate(rows, headers=["beats", "files", "beat F-measure",
                                  "arbiter: tracked -> annotated", "binary 3 vs 4"]))

    for key, title in (("accuracy", "accuracy alone"), ("binary_3v4_accuracy", "binary 3 vs 4 alone")):
        rows = []
        for name in predictor.signals:
            if not beat_diagnosis.needs_beats(signal_module(name).NEEDS):
                continue
            j = tracked.signals.index(name)
            first = summaries(tracked, lambda table: signal_votes(table, j, classes))
            second = summaries(oracle, lambda table: signal_votes(table, j, classes))
            rows.append([name] + [pair(first[group], second[group], key) for group in groups])
        print(f"\n{title}, tracked -> annotated beats")
        print(tabulate(rows, headers=["signal"] + groups))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
