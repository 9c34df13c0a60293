"""Cost per file of every signal and shared analysis, the engine's overhead, the
speed-up from -w workers (default 2; on a stratified sample of the dataset), the cold
analysis and the trained tracker's part of it beside stock madmom's downbeat tracking on
the same files, and how cost and peak memory grow with the input's length (inputs of 20 s,
3 min, 10 min and 60 min made of the sample's clips end to end).

    python scripts/bench_signals.py --limit 8
    python scripts/bench_signals.py --lengths 20,180            # a quicker length table
"""
import os
import sys

from tabulate import tabulate

from meterlab import cli
from meterlab.engine.registry import parse_signal_list
from meterlab.evaluate.bench import LENGTHS_S, benchmark, length_scaling


def main(argv=None):
    parser = cli.script_parser(__doc__)
    cli.add_dataset_arguments(parser, default_split="train")
    parser.set_defaults(limit=8)
    parser.add_argument("--signals", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--lengths", default=",".join(map(str, LENGTHS_S)),
                        help="input lengths in seconds for the length table ('' to skip)")
    cli.add_worker_arguments(parser, default=2)
    args = parser.parse_args(argv)
    entries = cli.load_entries(args)
    paths, signals = [entry.path for entry in entries], parse_signal_list(args.signals)
    report = benchmark(paths, signals, **cli.worker_options(args))

    print(tabulate([[name, seconds] for name, seconds in report["cost_per_file"].items()],
                   headers=["producer", "s/file"], floatfmt=".3f"))
    print()
    print(tabulate([
        ["files (cores here)", f"{report['files']} ({os.cpu_count()})"],
        ["sum of extractor costs, s/file", f"{report['sum_of_extractors_per_file']:.2f}"],
        ["warm wall time, 1 worker, s/file", f"{report['wall_per_file_1_worker']:.2f}"],
        ["overhead (wall / sum of extractors)", f"{report['overhead_ratio']:.3f}"],
        [f"warm wall time, {cli.parallelism(args)}, s/file",
         f"{report['wall_per_file_parallel']:.2f}"],
        [f"speed-up, {cli.parallelism(args)} vs 1", f"{report['speedup']:.2f}x"],
        ["stock madmom downbeat tracking (RNN + DBN), s/file", f"{report['stock_madmom_per_file']:.2f}"],
        ["cold analysis, 1 worker / stock madmom", f"{report['cold_vs_stock_madmom']:.2f}x"],
        ["trained tracker (activations + signal), s/file", f"{report['tracker_per_file']:.2f}"],
        ["trained tracker / the rest of the cold analysis", f"{report['tracker_share']:.1%}"],
    ], tablefmt="simple"))

    lengths = [int(text) for text in args.lengths.split(",") if text.strip()]
    if lengths:
        print_length_table(length_scaling(paths, signals, lengths))


def print_length_table(rows):
    """Seconds of compute per minute of audio, per producer and input length."""
    lengths = list(rows)
    names = sorted({name for row in rows.values() for name in row["per_minute"]})
    headers = ["s per minute of audio"] + [f"{seconds} s input" for seconds in lengths]
    table = [[name] + [rows[s]["per_minute"].get(name) for s in lengths] for name in names]
    table.append(["total (wall)"] + [rows[s]["wall"] / (s / 60) for s in lengths])
    table.append(["wall, s"] + [rows[s]["wall"] for s in lengths])
    table.append(["peak RSS, MB"] + [rows[s]["peak_rss_mb"] for s in lengths])
    print()
    print(tabulate(table, headers=headers, floatfmt=".2f", missingval="-"))
    for seconds in lengths:
        if rows[seconds]["error"]:
            print(f"{seconds} s input failed: {rows[seconds]['error']}")


if __name__ == "__main__":
    sys.exit(main())
