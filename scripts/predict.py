"""The meter of one audio file, with class probabilities and each signal's own choice.

    python scripts/predict.py song.mp3
"""
import argparse
import sys
from pathlib import Path

import numpy as np
from tabulate import tabulate

from meterlab import cli, config
from meterlab.datasets import Entry, song_id_from_path
from meterlab.engine import run_files
from meterlab.extract import results_table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--checkpoint", default=None)
    cli.add_worker_arguments(parser, local_workers=False)
    args = parser.parse_args(argv)
    predictor = cli.load_checked_predictor(args.checkpoint)

    result, = run_files([args.file], predictor.signals, progress=False,
                        **cli.worker_options(args))
    if result.error:
        sys.exit(f"error: {result.error}")
    entry = Entry(args.file, 0, "", song_id_from_path(args.file))
    probabilities = predictor.probabilities(results_table([entry], [result], predictor.signals))[0]
    best = predictor.classes[int(np.argmax(probabilities))]
    print(f"{args.file}: {best} beats per bar "
          f"({'arbiter ' + str(predictor.path) if predictor.path else 'signal vote'})")
    print(tabulate([[meter, f"{p:.1%}"] for meter, p in zip(predictor.classes, probabilities)],
                   headers=["meter", "probability"]))
    print()
    rows = []
    for name in predictor.signals:
        if name in result.scores:
            rows.append([name, config.CANDIDATE_METERS[int(np.argmax(result.scores[name]))], ""])
        else:
            rows.append([name, "-", result.unavailable.get(name) or result.failed.get(name, "")])
    print(tabulate(rows, headers=["signal", "top meter", "note"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
