"""Extract the arbiter's dataset (--extract), or train one arbiter from it.

    python scripts/training/train_arbiter.py --extract --split tuning --extra-data --workers 4
    python scripts/training/train_arbiter.py --sharpen autocorr:2 --boost-rare 1.5 --seeds 3
"""
import sys

from tabulate import tabulate

from meterlab.learn import arbiter
from meterlab import cli, config
from meterlab.learn.extract import (MIN_AVAILABLE, MIN_COVERAGE, CoverageError,
                                    check_coverage, score_table)
from meterlab.learn.table import ScoreTable, select_signals
from meterlab.engine.registry import parse_signal_list

def dataset_path(split):
    return config.ARBITER_DATASET_DIR / f"{split}.npz"


def extract(args):
    cli.require_tuning_split(args.split)
    signals = parse_signal_list(args.signals)
    extraction = score_table(cli.load_entries(args), signals, **cli.worker_options(args))
    cli.report_problems(extraction.problems, "files or signals skipped")
    available = extraction.table.coverage()
    print(tabulate([[name, f"{share:.1%}", f"{available[name]:.1%}",
                     extraction.unavailable_reasons.get(name, "")]
                    for name, share in extraction.ran_share().items()],
                   headers=["signal", "ran", "available", "a reason it was unavailable"]))
    try:
        allowed = parse_signal_list(",".join(args.allow_missing)) if args.allow_missing else ()
        keep, dropped = check_coverage(extraction, args.min_coverage, args.min_available,
                                       allowed)
    except CoverageError as error:
        sys.exit(f"error: {error}")
    for name, reason in dropped.items():
        print(f"left out {name}: unavailable on every file ({reason})")
    table = select_signals(extraction.table, keep)
    table.save(dataset_path(args.split))
    print(f"{len(table.paths)} files x {len(keep)} signals -> {dataset_path(args.split)}")


def train(args):
    try:
        table = ScoreTable.load(args.data)
    except FileNotFoundError as error:
        sys.exit(f"error: {error}")
    settings = arbiter.ArbiterSettings(arbiter.parse_sharpen(args.sharpen), args.boost_rare,
                                       args.seed, args.seeds, args.epochs)
    checkpoint = arbiter.train(table, settings)
    arbiter.save(checkpoint, args.out)
    rows = [["validation accuracy (seeds averaged)", f"{checkpoint['val_accuracy']:.3f}"],
            ["each seed alone, mean ± std", f"{checkpoint['val_accuracy_mean']:.3f} ± "
                                            f"{checkpoint['val_accuracy_std']:.3f}"]]
    rows += [[f"  class {meter}", f"{accuracy:.3f}"]
             for meter, accuracy in checkpoint["val_per_class"].items()]
    print(tabulate(rows, headers=["", ""]))
    print(f"train {checkpoint['n_train']} / val {checkpoint['n_val']} files; -> {args.out}")


@cli.exits_on_storage_error
def main(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--extract", action="store_true",
                        help="run the engine on the split and write data/arbiter_dataset/")
    cli.add_dataset_arguments(parser)
    cli.add_worker_arguments(parser)
    parser.add_argument("--signals", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--min-coverage", type=float, default=MIN_COVERAGE,
                        help="fail when a signal ran (did not fail) on fewer files than this share")
    parser.add_argument("--min-available", type=float, default=MIN_AVAILABLE,
                        help="fail when a signal is available on fewer files than this share")
    parser.add_argument("--allow-missing", action="append", default=[], metavar="NAME",
                        help="keep signal NAME however few files it is available on "
                             "(repeatable)")
    training = parser.add_argument_group("training (without --extract)")
    training.add_argument("--data", default=dataset_path("tuning"),
                          help="arbiter dataset to train on")
    training.add_argument("--sharpen", default="", help="per-signal powers, e.g. autocorr:2")
    training.add_argument("--boost-rare", type=float, default=1.0,
                          help=f"class-weight multiplier for meters {config.RARE_METERS}")
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--seeds", type=int, default=1, help="train K seeds and average their models")
    training.add_argument("--epochs", type=int, default=arbiter.ArbiterSettings.epochs)
    training.add_argument("--out", default=config.ARBITER_CHECKPOINT)
    args = parser.parse_args(argv)
    extract(args) if args.extract else train(args)


if __name__ == "__main__":
    sys.exit(main())
