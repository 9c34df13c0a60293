"""`meterlab predict`: the meter of your own audio: files, folders (searched recursively) or
CSV manifests.

    meterlab predict song.mp3
    meterlab predict my_music/ -w 2 --out predictions.csv
    meterlab predict songs.csv --out predictions.json   # path[,meter] columns
    meterlab predict song.mp3 --beats-dir beats/ --jams-dir jams/ --plot-dir plots/

Each file gets the predicted meter (beats per bar), every class's probability under the
class prior (--prior; METER2800's class shares by default), a confidence (the top
probability), each signal's own top meter, the beats, downbeats, tempo and (for 5 and 7)
grouping of the predicted meter, or the error that kept it from being analysed; the
report says which model answered (yours, the shipped one, or the signal vote). Signal
results are cached: a second run over the same files is served from the cache.
"""
import argparse
import sys
from pathlib import Path

from tabulate import tabulate

from .. import cli, formats
from ..beat_files import write_beat_files
from ..data.datasets import DatasetError
from ..prediction import (agreement, check_output_path, collect_inputs, describe_predictor,
                          display_header, display_rows, format_grouping, format_seconds,
                          predict, summary_rows, unavailable_signals, write_records)

DEFAULT_SHOW = 20


def configure(parser):
    """Add ``meterlab predict``'s arguments to ``parser``."""
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                        help="audio file, folder, or CSV manifest (path column; meter optional)")
    cli.add_worker_arguments(parser)
    cli.add_predictor_arguments(parser)
    parser.add_argument("--out", type=Path, default=None,
                        help="write every file's answer to FILE.csv or FILE.json")
    parser.add_argument("--beats-dir", type=Path, default=None, metavar="DIR",
                        help="write each file's beats as DIR/NAME.beats (time, beat in bar)")
    parser.add_argument("--jams-dir", type=Path, default=None, metavar="DIR",
                        help="write each file's beats as a JAMS beat_position annotation")
    parser.add_argument("--plot-dir", type=Path, default=None, metavar="DIR",
                        help="draw each file's activations, beats and probabilities as a PNG")
    parser.add_argument("--show", type=int, default=DEFAULT_SHOW,
                        help=f"files listed in the terminal (default {DEFAULT_SHOW})")


def parser():
    """The standalone parser (``scripts/predict.py``)."""
    standalone = argparse.ArgumentParser(
        description=__doc__, epilog=f"Audio {formats.describe()}.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    configure(standalone)
    return standalone


@cli.exits_on_storage_error
def run(args, parser):
    """Predict the files ``args`` name, print the report, write ``--out``; 0 on success."""
    if args.out is not None:
        try:
            check_output_path(args.out)
        except ValueError as error:
            parser.error(str(error))
    try:
        inputs = collect_inputs(args.paths)
    except DatasetError as error:
        sys.exit(f"error: {error}")
    cli.report_problems(inputs.problems, "skipped manifest rows")
    if inputs.ignored:
        listing = ", ".join(f"{ext} x{count}" for ext, count in sorted(inputs.ignored.items()))
        print(f"not audio, ignored: {sum(inputs.ignored.values())} files ({listing})",
              file=sys.stderr)
    if not inputs.entries:
        sys.exit(f"error: no audio files in {', '.join(map(str, args.paths))} "
                 f"({formats.describe()})")

    predictor = cli.load_checked_predictor(args.checkpoint)
    prior = cli.checked_prior(args.prior, predictor)
    records = predict(inputs.entries, predictor, **cli.worker_options(args), prior=prior,
                      causes=inputs.causes)
    if args.out is not None:
        write_records(records, args.out, predictor, prior)
    write_beat_files(records, args.beats_dir, args.jams_dir, args.plot_dir)
    print_report(records, predictor, prior, args)
    if all(answer["predicted"] is None for answer in records):
        sys.exit(f"error: none of the {len(records)} files could be analysed (causes above)")
    return 0


def main(argv=None):
    standalone = parser()
    return run(standalone.parse_args(argv), standalone)


def print_report(records, predictor, prior, args):
    print(f"\nmodel: {describe_predictor(predictor)}; signals: {', '.join(predictor.signals)}; "
          f"prior {prior.describe(predictor.classes)}")
    if len(records) == 1 and records[0]["predicted"] is not None:
        print_one(records[0], predictor)
    else:
        print(tabulate(summary_rows(records), headers=["predicted", "files", "share"]))
        print()
        print(tabulate(display_rows(records, predictor.classes, args.show),
                       headers=display_header(predictor.classes)))
    hidden = len(records) - min(args.show, len(records))
    if hidden > 0 and len(records) > 1:
        print(f"... {hidden} more files not shown"
              + ("" if args.out else " (--out FILE.csv keeps them all)"))
    if args.out:
        print(f"{len(records)} rows written to {args.out}")
    right, judged = agreement(records)
    if judged:
        print(f"agrees with the given meter on {right} of {judged} files ({right / judged:.0%})")
    for name, (files, reason) in unavailable_signals(records).items():
        print(f"signal {name} gave no answer on {files} file(s): {reason}", file=sys.stderr)


def print_one(answer, predictor):
    print(f"{answer['path']}: {answer['predicted']} beats per bar "
          f"(confidence {answer['confidence']:.0%}; {format_seconds(answer['seconds'])})")
    if answer["tempo"] is not None:
        grouping = format_grouping(answer["grouping"])
        print(f"{answer['tempo']:.0f} bpm, {len(answer['downbeats'])} bars"
              + (f", grouped {grouping}" if grouping else ""))
    print(tabulate([[meter, f"{p:.1%}"] for meter, p in answer["probabilities"].items()],
                   headers=["meter", "probability"]))
    print()
    print(tabulate([[name, answer["signals"][name] or "-", answer["signal_notes"].get(name, "")]
                    for name in predictor.signals], headers=["signal", "top meter", "note"]))

