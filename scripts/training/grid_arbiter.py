"""Cross-validate every sharpen x boost_rare configuration over song folds of the tuning
data; refit the winner on all of it.

    python scripts/training/grid_arbiter.py [--dry-run] [--reset] [--summary] [-w N]
                                            [--folds K] [--seeds S] [--epochs E]

Each configuration is trained K times, each time without one fold of the tuning songs,
and scored on that fold (mean ± sd over folds). The winner has the best mean; those within
one standard error of it count as tied, and the one listed first (the simplest) wins. It
is refitted on all tuning files for the median of its folds' early-stopping epochs, saved
in data/arbiter_grid/ and copied to data/meter_arbiter.pt with its cross-validation
numbers and a temperature fitted on its out-of-fold predictions, used when it lowers
their expected calibration error (lib/meterlab/learn/calibration.py). Results go to
data/arbiter_grid/results.json after every finished fold, so an interrupted grid resumes.
The test split is never read.
"""
import shutil
import sys
import time

from tabulate import tabulate

from meterlab import cli, config
from meterlab.learn import grid
from meterlab.learn.table import ScoreTable


def main(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--dry-run", action="store_true", help="show what would run, run nothing")
    parser.add_argument("--reset", action="store_true", help="clear previous results, re-run all")
    parser.add_argument("--summary", action="store_true", help="print the results table and exit")
    cli.add_worker_arguments(parser)
    parser.add_argument("--folds", type=int, default=grid.CVSettings.folds,
                        help="cross-validation folds over songs (fewer when there are fewer songs)")
    parser.add_argument("--seeds", type=int, default=grid.CVSettings.seeds,
                        help="models per arbiter, from as many seeds, their probabilities "
                             "averaged (in every fold and in the refit)")
    parser.add_argument("--epochs", type=int, default=grid.CVSettings.epochs,
                        help="most epochs per training (early stopping usually ends sooner)")
    parser.add_argument("--data", default=config.ARBITER_DATASET_DIR / "tuning.npz")
    parser.add_argument("--out-dir", default=config.ARBITER_GRID_DIR)
    parser.add_argument("--install", default=config.ARBITER_CHECKPOINT,
                        help="where the refitted winner is copied")
    args = parser.parse_args(argv)

    points = grid.grid_points(grid.SHARPEN_OPTIONS, grid.BOOST_RARE_OPTIONS)
    try:
        table = ScoreTable.load(args.data)
        n_songs = grid.check_songs(table, args.data)
    except (FileNotFoundError, grid.GridError) as error:
        sys.exit(f"error: {error}")
    settings = grid.CVSettings(min(args.folds, n_songs), args.seeds, args.epochs)
    fingerprint = table.fingerprint()
    if args.summary:
        results = grid.current_results(grid.load_results(args.out_dir), fingerprint, settings)
        summaries = grid.summarise(points, results, settings)
        return print_summary(points, summaries, grid.winner(points, summaries) if summaries else None)
    if args.reset:
        shutil.rmtree(args.out_dir, ignore_errors=True)
    todo = grid.pending(points, grid.load_results(args.out_dir), fingerprint, settings)
    print(f"{len(points)} configurations x {settings.folds} folds over {n_songs} songs "
          f"({len(table.paths)} files), {settings.seeds} seed(s) per arbiter: "
          f"{len(points) * settings.folds - len(todo)} runs already done, {len(todo)} to train "
          f"({cli.parallelism(args)})")
    if args.dry_run:
        for point, fold in todo:
            print(f"  would train {point.name} without fold {fold}")
        return 0
    start = time.perf_counter()
    try:
        results = grid.run_grid(points, args.data, args.out_dir, settings=settings,
                                **cli.worker_options(args))
    except grid.GridError as error:
        sys.exit(f"error: {error}")
    print(f"grid trained {len(todo)} runs in {time.perf_counter() - start:.1f} s")
    summaries = grid.summarise(points, results, settings)
    best = grid.winner(points, summaries)
    checkpoint = grid.refit_winner(best, summaries[best.name], args.data, args.out_dir,
                                   args.install, settings.seeds, results)
    print_summary(points, summaries, best)
    summary = summaries[best.name]
    print(f"winner {best.name}: CV accuracy {summary.mean:.3f} ± {summary.sd:.3f} over "
          f"{settings.folds} folds (ties: within one standard error, {summary.standard_error:.3f}, "
          f"the simplest); refitted on all {len(table.paths)} tuning files for "
          f"{summary.refit_epochs} epochs -> {args.install}")
    print_calibration(checkpoint["calibration"])
    return 0


def print_calibration(record):
    """The temperature fitted on the winner's out-of-fold probabilities, and whether the
    arbiter uses it."""
    print(f"\ntemperature fitted on the winner's {record['n']} out-of-fold predictions "
          f"(NLL minimised): {record['fitted_temperature']:.3f}, "
          f"{'applied' if record['applied'] else 'not applied'} "
          f"(rule: it must lower the {record['criterion']}; {record['bins']} bins)")
    print(tabulate([[figure.upper(), f"{values['before']:.4f}", f"{values['after']:.4f}"]
                    for figure, values in (("ece", record["ece"]), ("nll", record["nll"]),
                                           ("accuracy", record["accuracy"]))],
                   headers=["out of fold", "T = 1", f"T = {record['fitted_temperature']:.3f}"]))


def print_summary(points, summaries, chosen=None):
    rows = grid.summary_rows(points, summaries, chosen)
    if not rows:
        print("no grid results yet (run grid_arbiter.py)")
        return 1
    print(tabulate(rows, headers=["", "sharpen", "boost_rare", "CV accuracy mean ± sd over folds",
                                  "CV accuracy per class", "CV accuracy per dataset",
                                  "refit epochs"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
