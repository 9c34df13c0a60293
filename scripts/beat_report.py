"""How good the beats that predictions show are, on a split with beat annotations.

    python scripts/beat_report.py --dataset corpus --split test
    python scripts/beat_report.py --dataset scores --split test
    python scripts/beat_report.py --split tuning --meters given   # choosing the accent curve
    python scripts/beat_report.py --split tuning --meters given --source madmom_activations
    python scripts/beat_report.py --predictions data/runs/RUN.json  # an earlier eval's answers
    make beat-report

Each file is decoded with its predicted meter (``--meters predicted``, what predict
reports; the trained arbiter answers), the one an earlier run predicted
(``--predictions``: predict's JSON or an eval run saved under ``data/runs/``), or its
annotated one (``--meters given``, the decoding alone), from the bar model's downbeats
among the tracked beats (what predict reports), or by the DBN from the trained tracker's
activations or madmom's network's (``--source``). Printed: the mean
downbeat F-measure of the decoded downbeats against the annotated ones, and for the
corpus's 5 and 7 (whose groupings its builder records) the share of clips whose grouping
each accent curve finds.
"""
import sys
from pathlib import Path

from tabulate import tabulate

from meterlab import bars, cli
from meterlab.bar_report import beat_report, known_groupings, saved_meters, summary_rows
from meterlab.data.layout import annotation_path
from meterlab.prediction import predict


@cli.exits_on_storage_error
def main(argv=None):
    parser = cli.test_split_parser(__doc__)
    parser.add_argument("--meters", choices=("predicted", "given"), default="predicted",
                        help="decode with the predicted meter (default) or the annotated one")
    parser.add_argument("--source", choices=bars.SOURCES, default=bars.SOURCE,
                        help="what the beats are decoded from (default: what predict reports)")
    parser.add_argument("--predictions", type=Path, default=None, metavar="RUN.json",
                        help="decode with the meters this predict JSON or eval run predicted")
    args = parser.parse_args(argv)

    entries = [entry for entry in cli.load_entries(args) if annotation_path(entry.path).is_file()]
    if not entries:
        sys.exit(f"error: no file of {args.dataset} {args.split} has a beat annotation")
    if args.predictions is not None:
        try:
            meters = saved_meters(entries, args.predictions)
        except (OSError, ValueError, KeyError) as error:
            sys.exit(f"error: --predictions {args.predictions}: {error}")
        how = f"the meters {args.predictions} predicted"
    elif args.meters == "predicted":
        predictor = cli.load_checked_predictor(args.checkpoint)
        records = predict(entries, predictor, **cli.worker_options(args),
                          prior=cli.checked_prior(args.prior, predictor))
        meters = [answer["predicted"] for answer in records]
        how = "the predicted meter"
    else:
        meters = [entry.meter for entry in entries]
        how = "the annotated meter"
    reports = beat_report(entries, meters, **cli.worker_options(args), source=args.source)
    print(f"\n{args.dataset} {args.split}, {args.source} decoded with {how}"
          + (f" ({meters.count(None)} files it lacks count 0)" if None in meters else ""))
    print(tabulate(summary_rows(entries, meters, reports, known_groupings(entries)),
                   headers=["figure", "files", "value"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
