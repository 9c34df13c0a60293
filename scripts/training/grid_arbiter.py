"""Train an arbiter for every sharpen x boost_rare combination; keep the best by validation.

    python scripts/training/grid_arbiter.py [--dry-run] [--reset] [--summary] [-j N]

Checkpoints go to data/arbiter_grid/, results to data/arbiter_grid/results.json; finished
runs are skipped, so an interrupted grid resumes. The winner (highest validation
accuracy, ties to the configuration listed first) is copied to data/meter_arbiter.pt.
The test split is never read.
"""
import argparse
import shutil
import sys
import time

from tabulate import tabulate

from meterlab import config, grid
from meterlab.extract import ScoreTable

#: Per-signal sharpening powers to try, simplest first.
SHARPEN_OPTIONS = (
    "",
    "autocorr:2",
    "madmom:2,beatnet:2,beat_this:2",
    "bar_tracking:2,hcdf:2,onset_mlp:2",
    "autocorr:2,madmom:2,beatnet:2,beat_this:2,bar_tracking:2,hcdf:2,onset_mlp:2",
)
#: Class-weight multipliers for the rare meters, simplest first.
BOOST_RARE_OPTIONS = (1.0, 1.5, 2.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="show what would run, run nothing")
    parser.add_argument("--reset", action="store_true", help="clear previous results, re-run all")
    parser.add_argument("--summary", action="store_true", help="print the results table and exit")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="trainings in parallel")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per configuration")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--data", default=config.ARBITER_DATASET_DIR / "tuning.npz")
    parser.add_argument("--out-dir", default=config.ARBITER_GRID_DIR)
    parser.add_argument("--install", default=config.ARBITER_CHECKPOINT,
                        help="where the winner is copied")
    args = parser.parse_args(argv)

    points = grid.grid_points(SHARPEN_OPTIONS, BOOST_RARE_OPTIONS)
    if args.summary:
        return print_summary(points, grid.load_results(args.out_dir))
    try:
        fingerprint = ScoreTable.load(args.data).fingerprint()
    except FileNotFoundError as error:
        sys.exit(f"error: {error}")
    if args.reset:
        shutil.rmtree(args.out_dir, ignore_errors=True)
    todo = grid.pending(points, grid.load_results(args.out_dir), fingerprint, args.out_dir,
                        args.seeds, args.epochs)
    print(f"{len(points)} configurations, {len(points) - len(todo)} already done, "
          f"{len(todo)} to train ({args.seeds} seeds each, -j {args.jobs})")
    if args.dry_run:
        for point in todo:
            print(f"  would train {point.name}")
        return 0
    start = time.perf_counter()
    results = grid.run_grid(points, args.data, args.out_dir, args.jobs, args.seeds, args.epochs)
    print(f"grid trained {len(todo)} runs in {time.perf_counter() - start:.1f} s")
    best = grid.winner(points, results)
    grid.install_winner(best, args.out_dir, args.install)
    print_summary(points, results)
    print(f"winner {best.name} (val {results[best.name]['val_accuracy']:.3f}) -> {args.install}")
    return 0


def print_summary(points, results):
    rows = grid.summary_rows(points, results)
    if not rows:
        print("no grid results yet (run grid_arbiter.py)")
        return 1
    print(tabulate(rows, floatfmt=".3f", headers=[
        "sharpen", "boost_rare", "val acc (kept seed)", "mean ± std over seeds",
        "val acc per class"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
