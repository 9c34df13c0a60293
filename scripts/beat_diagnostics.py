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
split it was trained on (not test), its figures are not held out. First, madmom's network
and the trained tracker side by side: mir_eval beat and downbeat F-measure, and the share
of files tracked at the annotated metrical level.
"""
import sys

from tabulate import tabulate

from meterlab import cli
from meterlab.data.layout import annotation_path
from meterlab.evaluate import beat_diagnosis
from meterlab.tracker.compare import compare


def pair(before, after, key):
    """``"85.0% -> 93.3%"`` of one figure of two summaries (blank where it is missing)."""
    if key not in before:
        return ""
    return f"{before[key]:.1%} -> {after[key]:.1%}"


@cli.exits_on_storage_error
def main(argv=None):
    parser = cli.test_split_parser(__doc__)
    parser.add_argument("--trackers-only", action="store_true",
                        help="print the madmom vs tracker table only (no arbiter or signals)")
    args = parser.parse_args(argv)

    if not args.trackers_only:
        predictor = cli.load_checked_predictor(args.checkpoint)
        prior = cli.checked_prior(args.prior, predictor)
    entries = cli.load_entries(args)
    annotated = [entry for entry in entries if annotation_path(entry.path).is_file()]
    if not annotated:
        sys.exit(f"error: no file of {args.dataset} {args.split} has a beat annotation "
                 f"(expected e.g. {annotation_path(entries[0].path)})")
    if len(annotated) < len(entries):
        print(f"{len(entries) - len(annotated)} files without a beat annotation left out")

    trackers = compare(annotated, **cli.worker_options(args))
    print(f"\n{args.dataset} {args.split}: beat trackers against the annotations (mir_eval)")
    print(tabulate([[name, t["files"], f"{t['beat_f']:.3f}", f"{t['downbeat_f']:.3f}",
                     f"{t['level']:.1%}"] for name, t in trackers.items()],
                   headers=["tracker", "files", "beat F", "downbeat F", "annotated level"]))
    if args.trackers_only:
        return 0

    diagnosis = beat_diagnosis.diagnose(annotated, predictor.signals,
                                        **cli.worker_options(args))
    cli.report_problems(diagnosis["problems"], "files that could not be analysed")
    classes = sorted(set(predictor.classes) | set(diagnosis["tracked"].meters.tolist()))
    arbiter = beat_diagnosis.arbiter_comparison(diagnosis, predictor, prior, classes)
    fmeasures = beat_diagnosis.mean_fmeasures(diagnosis)
    print(f"\n{args.dataset} {args.split}: {len(diagnosis['tracked'].paths)} files, "
          f"classes {classes}, prior {prior.name}"
          + ("" if args.split == "test" else "; the arbiter was trained on these files"))
    print(tabulate([[group, before["n"], f"{fmeasures[group]:.2f}",
                     pair(before, after, "accuracy"), pair(before, after, "binary_3v4_accuracy")]
                    for group, (before, after) in arbiter.items()],
                   headers=["beats", "files", "beat F-measure", "arbiter: tracked -> annotated",
                            "binary 3 vs 4"]))

    signals = beat_diagnosis.signal_comparisons(diagnosis, classes)
    for key, title in (("accuracy", "accuracy alone"),
                       ("binary_3v4_accuracy", "binary 3 vs 4 alone")):
        print(f"\n{title}, tracked -> annotated beats")
        print(tabulate([[name] + [pair(*both, key) for both in by_group.values()]
                        for name, by_group in signals.items()],
                       headers=["signal"] + list(arbiter)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
