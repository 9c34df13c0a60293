"""Build the tracker's training data (data/tracker): music21 works no real-score build
uses, performed widely, plus synthetic clips, each made to sound like a recording.

    python scripts/setup/make_tracker_data.py                 # what `make tracker-data` runs
    python scripts/setup/make_tracker_data.py --works-per-group 4 --synthetic-per-meter 2 --out /tmp/t

Prints clips per source and meter, hours of audio and the build time; the same counts
are in tracker_data.json beside the clips.
"""
import sys
import time

from tabulate import tabulate

from meterlab import cli, config
from meterlab.tracker.data import PARAMS_NAME, build

#: The recipe `make tracker` trains the committed checkpoint on: 3,896 clips, 27 h, about
#: 15 min to build here (60 / 80, a third of it, over-fitted network 3 within 1,500 steps).
WORKS_PER_GROUP = 200
SYNTHETIC_PER_METER = 240


def main(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--out", default=config.DATA_DIR / "tracker")
    parser.add_argument("--works-per-group", type=int, default=WORKS_PER_GROUP,
                        help="works per (source, time-signature numerator)")
    parser.add_argument("--synthetic-per-meter", type=int, default=SYNTHETIC_PER_METER)
    cli.add_build_arguments(parser)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    params, problems = build(args.out, args.works_per_group, args.synthetic_per_meter, args.seed,
                             soundfonts=cli.soundfonts(args), **cli.worker_options(args))
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    counts = params["counts"]
    print(tabulate(sorted(counts["source_meter"].items()), headers=["source meter", "clips"]))
    print(f"{counts['clips']} clips ({counts['hours']} h of audio; splits {counts['split']}) in "
          f"{args.out}, built in {time.perf_counter() - start:.0f} s; recipe in {PARAMS_NAME}")


if __name__ == "__main__":
    sys.exit(main())
