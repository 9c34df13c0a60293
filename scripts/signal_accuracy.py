"""Each signal's accuracy alone (its top meter among the classes) on a dataset split.

    python scripts/signal_accuracy.py --dataset scores --split test
    python scripts/signal_accuracy.py --dataset manifest --data-dir songs.csv --signals madmom,autocorr

4-class figures decide among the default classes (3, 4, 5, 7) plus any other meter the
files hold, so a signal calling a 3/4 piece 5 is counted wrong even where only 3 and 4
occur; binary 3 vs 4 decides between those two on the files labelled 3 or 4. A file
where a signal is unavailable counts as wrong for it.
"""
import sys

from tabulate import tabulate

from meterlab import cli, config
from meterlab.evaluate.evaluation import signal_accuracy
from meterlab.learn.extract import score_table
from meterlab.engine.registry import parse_signal_list


@cli.exits_on_storage_error
def main(argv=None):
    parser = cli.script_parser(__doc__)
    cli.add_dataset_arguments(parser, default_split="test")
    parser.add_argument("--signals", default="", help="comma-separated signals (default: all)")
    cli.add_worker_arguments(parser)
    args = parser.parse_args(argv)

    signals = parse_signal_list(args.signals)
    entries = cli.load_entries(args)
    extraction = score_table(entries, signals, **cli.worker_options(args))
    classes = sorted(set(config.DEFAULT_CLASSES) | {entry.meter for entry in entries})
    rows = []
    for name, summary in signal_accuracy(extraction.table, classes).items():
        binary = summary.get("binary_3v4_accuracy")
        rows.append([name, f"{extraction.table.coverage()[name]:.0%}",
                     f"{summary['correct']}/{summary['n']}", f"{summary['accuracy']:.1%}",
                     f"{summary['balanced_accuracy']:.1%}",
                     "" if binary is None else f"{binary:.1%} of {summary['binary_3v4_n']}"])
    print(f"\n{args.dataset} {args.split}: {len(entries)} files, classes {classes}")
    print(tabulate(rows, headers=["signal", "available", "correct", "accuracy", "balanced",
                                  "binary 3 vs 4"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
