"""Fill the per-signal caches for every file of a split; re-running does only missing work.

    python scripts/setup/warm.py --split tuning --extra-data -w 4
    python scripts/setup/warm.py --split all --scheduler tcp://host:8786   # a Dask cluster
"""
import sys
import time

from tabulate import tabulate

from meterlab import cli, config
from meterlab.engine.registry import parse_signal_list
from meterlab.engine.warm import analysis_table, cache_totals, signal_table, warm


@cli.exits_on_storage_error
def main(argv=None):
    parser = cli.script_parser(__doc__)
    cli.add_dataset_arguments(parser)
    cli.add_worker_arguments(parser)
    parser.add_argument("--signals", default="", help="comma-separated subset (default: all)")
    args = parser.parse_args(argv)

    signals = parse_signal_list(args.signals)
    entries = cli.load_entries(args)
    start = time.perf_counter()
    results = warm(entries, signals, **cli.worker_options(args))
    elapsed = time.perf_counter() - start

    print(tabulate(signal_table(results, signals), floatfmt=".2f", headers=[
        "signal", "computed", "from cache", "unavailable", "failed", "s/file (computed)"]))
    shared = analysis_table(results)
    if shared:
        print()
        print(tabulate(shared, headers=["shared analysis", "computed", "s/file"], floatfmt=".2f"))
    bad = [result for result in results if result.error]
    for result in bad:
        print(f"skipped {result.error}", file=sys.stderr)
    for result in results:
        for name, error in result.failed.items():
            print(f"{result.path}: signal {name} failed: {error}", file=sys.stderr)
    totals = cache_totals(results)
    print(f"\ncache: {totals['hit']} hits, {totals['miss']} missing, {totals['stale']} stale, "
          f"{totals['unreadable']} unreadable entries")
    print(f"{len(results)} files ({len(bad)} unusable) in {elapsed:.1f} s; "
          f"errors in {config.CACHE_DIR / 'errors.json'}")
    return 1 if bad and len(bad) == len(results) else 0


if __name__ == "__main__":
    sys.exit(main())
