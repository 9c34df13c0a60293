"""Build the embedded real-score dataset: works from the music21 corpus, performed expressively.

    python scripts/setup/make_scores.py                        # data/scores, default size
    python scripts/setup/make_scores.py --size small --out /tmp/s
    python scripts/setup/make_scores.py --soundfont MyGM.sf2 --soundfont Other.sf2

Works with one time signature are mapped to a meter class by one rule (see
lib/meterlab/data/build/scores/catalogue.py): 3/x -> 3; 2/x and 4/x -> 4; 5/x -> 5; 7/x -> 7;
compound 6/x, 9/x, 12/x only when --classes asks for 6, 9 or 12. Each piece is played by a
random ensemble with one SoundFont drawn from pretty_midi's bundled GM font and every
--soundfont given (General-MIDI .sf2 files). Splits are by work. Prints excerpts per class
and source; the same counts go to counts.json beside the manifest.
"""
import sys
import time

from tabulate import tabulate

from meterlab import cli, config
from meterlab.data.datasets import SPLITS, DatasetError, parse_classes
from meterlab.data.build.scores import PARSE_CACHE, SIZES, build_scores, select_works
from meterlab.data.build.scores.catalogue import read_catalogue


def parse_args(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--out", default=config.SCORES_DIR, help=f"dataset folder (default {config.SCORES_DIR})")
    parser.add_argument("--size", choices=sorted(SIZES), default="default",
                        help="; ".join(f"{name}: {_describe(size)}" for name, size in SIZES.items()))
    parser.add_argument("--classes", default=",".join(map(str, config.DEFAULT_CLASSES)),
                        help="comma-separated meters to keep (add 6,9,12 for compound signatures)")
    cli.add_build_arguments(parser)
    return parser.parse_args(argv)


def _describe(size):
    where = f" from {', '.join(size.sources)}" if size.sources else ""
    return f"up to {size.works_per_source_class} works per source and class{where}, {size.excerpts_per_work} excerpts per work"


def tables(counts):
    """Excerpts per source and class, and per split and class (works in the last row)."""
    meters = sorted(counts["class"], key=int)
    by_source = [[source, *(row.get(m, 0) for m in meters), sum(row.values())]
                 for source, row in counts["source"].items()]
    by_source.append(["all", *(counts["class"][m] for m in meters), sum(counts["class"].values())])
    by_split = [[split, *(counts["split"].get(split, {}).get(m, 0) for m in meters),
                 sum(counts["split"].get(split, {}).values())] for split in SPLITS]
    by_split.append(["works", *(counts["works"][m] for m in meters), sum(counts["works"].values())])
    headers = ["split", *meters, "total"]
    return tabulate(by_source, headers=["source", *meters, "total"]) + "\n\n" + tabulate(by_split, headers=headers)


def main(argv=None):
    args = parse_args(argv)
    soundfonts = cli.soundfonts(args)
    start = time.perf_counter()
    size = SIZES[args.size]
    try:
        works = select_works(read_catalogue(PARSE_CACHE), parse_classes(args.classes), size, args.seed)
    except DatasetError as error:
        sys.exit(f"error: {error}")
    manifest, counts, problems = build_scores(args.out, works, size.excerpts_per_work, args.seed,
                                              soundfonts=soundfonts, **cli.worker_options(args))
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(tables(counts))
    print(f"{sum(counts['class'].values())} excerpts ({counts['audio_minutes']} min of audio) in "
          f"{manifest.parent} ({len(problems)} works skipped), "
          f"built in {time.perf_counter() - start:.1f} s; counts in {manifest.parent / 'counts.json'}")


if __name__ == "__main__":
    sys.exit(main())
