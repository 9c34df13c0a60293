"""Predict every file of a split and report accuracy; compare with (and maybe save) the baseline.

    python scripts/eval.py --split test --limit 0 [--workers N] [--save]
    python scripts/eval.py --limit 3 --workers 1          # smoke test
"""
import argparse
import sys

from tabulate import tabulate

from meterlab import cli, config, runs
from meterlab.evaluation import evaluate

DEFAULT_LIMIT = 20


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_dataset_arguments(parser, default_split="test")
    parser.set_defaults(limit=DEFAULT_LIMIT)
    cli.add_worker_arguments(parser)
    parser.add_argument("--checkpoint", default=None,
                        help=f"arbiter checkpoint (default {config.ARBITER_CHECKPOINT}; "
                             "without one, the signals vote)")
    parser.add_argument("--save", action="store_true",
                        help="make this run the baseline if it beats the saved one")
    args = parser.parse_args(argv)

    predictor = cli.load_checked_predictor(args.checkpoint)
    entries = cli.load_entries(args)
    run = evaluate(entries, predictor, **cli.worker_options(args))
    run.update(split=args.split, dataset=args.dataset, limit=args.limit,
               data_dir=str(args.data_dir or config.CORPUS_DIR))
    print_report(run)
    baseline = runs.load_baseline()
    path = runs.save_run(run)
    print_comparison(runs.compare(run, baseline), baseline)
    print(f"run saved to {path} (confusion plot beside it)")
    if args.save:
        saved, reason = runs.save_baseline(run)
        print(reason)
    return 0


def print_report(run):
    summary = run["metrics"]
    print(f"\narbiter: {run['arbiter']}   signals: {', '.join(run['signals'])}")
    overall = [["accuracy", f"{summary['correct']}/{summary['n']}", f"{summary['accuracy']:.1%}"],
               ["balanced accuracy", "", f"{summary['balanced_accuracy']:.1%}"]]
    if "accuracy_with_alt" in summary:
        overall.append(["accuracy, alt_meter also right", f"{summary['correct_with_alt']}/"
                        f"{summary['n']}", f"{summary['accuracy_with_alt']:.1%}"])
    if "binary_3v4_accuracy" in summary:
        overall.append(["binary 3 vs 4", f"of {summary['binary_3v4_n']}",
                        f"{summary['binary_3v4_accuracy']:.1%}"])
    overall.append(["failed files (counted wrong)", summary["failed"], ""])
    print(tabulate(overall, tablefmt="simple", headers=["", "files", ""]))
    print()
    classes = summary["classes"]
    counts = [sum(row) for row in summary["confusion"]]
    print(tabulate([[meter, counts[i], f"{summary['per_class'][meter]:.1%}"]
                    for i, meter in enumerate(classes) if meter in summary["per_class"]],
                   headers=["meter", "files", "accuracy"]))
    print()
    if run["per_source"]:
        print_per_source(run["per_source"])
        print()
    print(tabulate([[f"true {meter}"] + row for meter, row in zip(classes, summary["confusion"])],
                   headers=["confusion"] + [f"pred {meter}" for meter in classes]))
    print()
    coverage = run["signal_coverage"]
    alone = run["per_signal"]
    print(tabulate([[name, f"{coverage.get(name, 0):.0%}"]
                    + ([f"{alone[name]['accuracy']:.1%}"]
                       + [f"{alone[name]['per_class'].get(m, float('nan')):.0%}" for m in classes]
                       if name in alone else [""] * (len(classes) + 1))
                    + [run["unavailable_reasons"].get(name, "")]
                    for name in run["signals"]],
                   headers=["signal", "available", "alone: accuracy"]
                   + [f"alone: {m}" for m in classes] + ["reason if unavailable"]))
    failures = [record for record in run["files"] if record["error"]]
    for record in failures:
        print(f"failed: {record['error']}", file=sys.stderr)


def print_per_source(per_source):
    """Accuracy of each source (METER2800's FMA, MAG, ...; the corpus) on its own."""
    lenient = any("accuracy_with_alt" in summary for summary in per_source.values())
    rows = []
    for source, summary in per_source.items():
        rows.append([source, summary["n"], f"{summary['correct']}/{summary['n']}",
                     f"{summary['accuracy']:.1%}", f"{summary['balanced_accuracy']:.1%}",
                     summary["failed"]]
                    + ([f"{summary['accuracy_with_alt']:.1%}" if "accuracy_with_alt" in summary
                        else ""] if lenient else []))
    print(tabulate(rows, headers=["source", "files", "correct", "accuracy", "balanced",
                                  "failed"] + (["with alt_meter"] if lenient else [])))


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
