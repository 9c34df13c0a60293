"""Build the embedded synthetic corpus (or draw a preview of an existing one).

    python scripts/setup/make_corpus.py                      # data/corpus, default size
    python scripts/setup/make_corpus.py --size small --out /tmp/c
    python scripts/setup/make_corpus.py --soundfont MyGM.sf2   # draw each clip's font from two
    python scripts/setup/make_corpus.py --preview corpus.png # existing corpus -> PNG
"""
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

from tabulate import tabulate

from meterlab import cli, config
from meterlab.data.build.corpus import PARAMS_NAME, SIZES, SPLITS, build_corpus
from meterlab.data.datasets import DatasetError, parse_classes


def parse_args(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--out", default=config.CORPUS_DIR, help=f"corpus folder (default {config.CORPUS_DIR})")
    parser.add_argument("--size", choices=sorted(SIZES), default="default",
                        help="preset: default = " + _describe(SIZES["default"]) + "; small = " + _describe(SIZES["small"]))
    parser.add_argument("--n-per-class", type=int, help="clips per meter (overrides --size)")
    parser.add_argument("--duration", type=float, help="seconds per clip (overrides --size)")
    parser.add_argument("--classes", default=",".join(map(str, config.DEFAULT_CLASSES)),
                        help="comma-separated meters (beats per bar)")
    cli.add_build_arguments(parser)
    parser.add_argument("--preview", metavar="PNG", help="only draw a preview of the corpus in --out and exit")
    return parser.parse_args(argv)


def _describe(size):
    return f"{size.n_per_class} clips per class of {size.duration_s:g} s"


def summary(manifest, duration_s, seconds):
    """Table of clips per class and split, and of those performed expressively; then
    total audio and build time."""
    with open(manifest, newline="") as f:
        rows = list(csv.DictReader(f))
    counts = Counter((int(r["meter"]), r["split"]) for r in rows)
    clips = json.loads((manifest.parent / PARAMS_NAME).read_text())["clips"]
    expressive = Counter(int(r["meter"]) for r in rows if clips[Path(r["path"]).stem]["style"])
    meters = sorted({m for m, _ in counts})
    rows = [[m, *(counts[m, s] for s in SPLITS), sum(counts[m, s] for s in SPLITS), expressive[m]] for m in meters]
    rows.append(["all", *(sum(counts[m, s] for m in meters) for s in SPLITS), sum(counts.values()),
                 sum(expressive.values())])
    total_min = sum(counts.values()) * duration_s / 60
    return (tabulate(rows, headers=["meter", *SPLITS, "total", "expressive"]) +
            f"\n{total_min:.1f} min of audio in {manifest.parent}, built in {seconds:.1f} s")


def main(argv=None):
    args = parse_args(argv)
    if args.preview:
        from meterlab.data.build.corpus.preview import write_preview

        try:
            print(write_preview(args.out, args.preview))
        except DatasetError as error:
            sys.exit(f"error: {error}")
        return
    soundfonts = cli.soundfonts(args)
    size = SIZES[args.size]
    duration_s = args.duration or size.duration_s
    start = time.perf_counter()
    try:
        manifest = build_corpus(args.out, args.n_per_class or size.n_per_class, duration_s,
                                classes=parse_classes(args.classes), seed=args.seed,
                                soundfonts=soundfonts, progress=True, **cli.worker_options(args))
    except (ValueError, DatasetError) as error:
        sys.exit(f"error: {error}")
    print(summary(manifest, duration_s, time.perf_counter() - start))


if __name__ == "__main__":
    sys.exit(main())
