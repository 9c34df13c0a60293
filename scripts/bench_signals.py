"""Cost per file of every signal and shared analysis, the engine's overhead, and the
speed-up from 2 workers, on a stratified sample of the dataset.

    python scripts/bench_signals.py --limit 8
"""
import argparse
import os

from tabulate import tabulate

from meterlab import cli
from meterlab.bench import benchmark
from meterlab.signals import parse_signal_list


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_dataset_arguments(parser, default_split="train")
    parser.set_defaults(limit=8)
    parser.add_argument("--signals", default="", help="comma-separated subset (default: all)")
    args = parser.parse_args(argv)
    entries = cli.load_entries(args)
    report = benchmark([entry.path for entry in entries], parse_signal_list(args.signals))

    print(tabulate([[name, seconds] for name, seconds in report["cost_per_file"].items()],
                   headers=["producer", "s/file"], floatfmt=".3f"))
    print()
    print(tabulate([
        ["files (cores here)", f"{report['files']} ({os.cpu_count()})"],
        ["sum of extractor costs, s/file", f"{report['sum_of_extractors_per_file']:.2f}"],
        ["warm wall time, 1 worker, s/file", f"{report['wall_per_file_1_worker']:.2f}"],
        ["overhead (wall / sum of extractors)", f"{report['overhead_ratio']:.3f}"],
        ["warm wall time, 2 workers, s/file", f"{report['wall_per_file_2_workers']:.2f}"],
        ["speed-up, 2 workers vs 1", f"{report['speedup_2_workers']:.2f}x"],
    ], tablefmt="simple"))


if __name__ == "__main__":
    main()
