"""Predict every file of a split and report accuracy beside madmom's own downbeat tracker
and each signal alone; compare with (and maybe save) the dataset's baseline.

    python scripts/eval.py --split test --limit 0 [--workers N] [--save]
    python scripts/eval.py --dataset scores --split test --limit 0   # the real-score dataset
    python scripts/eval.py --limit 3 --workers 1                     # smoke test

The arbiter's class probabilities are re-weighted to a class prior (--prior; see
lib/meterlab/learn/priors.py): the tables show the result under that prior and under uniform.
"""
import dataclasses
import sys

from tabulate import tabulate

from meterlab import cli
from meterlab.evaluate import report, runs
from meterlab.evaluate.evaluation import evaluate

DEFAULT_LIMIT = 20


@cli.exits_on_storage_error
def main(argv=None):
    parser = cli.test_split_parser(__doc__)
    parser.set_defaults(limit=DEFAULT_LIMIT)
    parser.add_argument("--save", action="store_true",
                        help="make this run the dataset's baseline if it beats the saved one")
    args = parser.parse_args(argv)

    predictor = cli.load_checked_predictor(args.checkpoint)
    prior = cli.checked_prior(args.prior, predictor)
    entries = cli.load_entries(args)
    run = evaluate(entries, predictor, **cli.worker_options(args), prior=prior)
    run = dataclasses.replace(run, split=args.split, dataset=args.dataset, limit=args.limit,
                              data_dir=str(cli.dataset_config(args).root))
    print_report(run)
    baseline = runs.load_baseline(args.dataset)
    path = runs.save_run(run)
    print_comparison(runs.compare(run, baseline), baseline)
    print(f"run saved to {path} (confusion plot and reliability diagram beside it)")
    if args.save:
        saved, reason = runs.save_baseline(run)
        print(reason)
    return 0


def print_report(run):
    print(f"\n== {report.title(run)} ==")
    print(f"arbiter: {run.arbiter}   signals: {', '.join(run.signals)}")
    print(report.comparison(run))
    summary = run.metrics
    if "accuracy_with_alt" in summary:
        print(f"accuracy with alt_meter also right: {summary['correct_with_alt']}/"
              f"{summary['n']} ({summary['accuracy_with_alt']:.1%})")
    print(f"failed files (counted wrong): {summary['failed']}")
    for line in report.shortfalls(run):
        print(f"arbiter loses on {line}")
    print()
    if run.per_source:
        print(report.per_source(run))
        print()
    print(report.confusion(summary))
    print()
    table = report.calibration(run)
    if table:
        print(report.calibration_caption(run))
        print(table)
        print()
    print(tabulate([[name, f"{run.signal_coverage.get(name, 0):.0%}",
                     run.unavailable_reasons.get(name, "")] for name in run.signals],
                   headers=["signal", "available", "reason if unavailable"]))
    for record in run.files:
        if record["error"]:
            print(f"failed: {record['error']}", file=sys.stderr)
        if record["reference_error"]:
            print(f"failed: {record['reference_error']}", file=sys.stderr)


def print_comparison(comparison, baseline):
    if baseline is None:
        print("\nno baseline yet (save one with --save)")
        return
    if comparison is None:
        print("\nbaseline is on another split or file set: not compared")
        return
    print(f"\nvs baseline: accuracy {comparison['accuracy_delta']:+.1%}, "
          f"{len(comparison['improved'])} files better, {len(comparison['regressed'])} worse")
    for path in comparison["improved"]:
        print(f"  better: {path}")
    for path in comparison["regressed"]:
        print(f"  worse:  {path}")


if __name__ == "__main__":
    sys.exit(main())
