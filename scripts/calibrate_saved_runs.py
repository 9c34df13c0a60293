"""Measure the calibration of eval runs saved before eval measured it, without predicting
again: the expected calibration error of the arbiter's confidence at temperature 1 and at
the checkpoint's, under the run's prior and uniform; each run's record gains it and its
reliability diagram is drawn beside it.

    python scripts/calibrate_saved_runs.py data/runs/RUN.json... [--checkpoint P]

Right only for runs of the checkpoint's models (a grid that re-ran on the same data with
the same seeds trains the same models; eval runs saved since measure it themselves).
"""
import sys
from pathlib import Path

from meterlab import cli, config
from meterlab.engine.atomic import write_json
from meterlab.evaluate import report, runs
from meterlab.evaluate.evaluation import recalibrated
from meterlab.learn.mlp import CheckpointError
from meterlab.learn.predictor import load_predictor


def main(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("runs", nargs="+", type=Path, help="saved eval runs (JSON)")
    parser.add_argument("--checkpoint", default=None,
                        help=f"the arbiter that answered the runs (default {config.ARBITER_CHECKPOINT})")
    args = parser.parse_args(argv)
    try:
        predictor = load_predictor(args.checkpoint)
    except CheckpointError as error:
        sys.exit(f"error: {error}")
    for path in args.runs:
        try:
            run = recalibrated(runs.load_run(path), predictor)
        except (OSError, ValueError, KeyError) as error:
            sys.exit(f"error: {path}: cannot measure its calibration "
                     f"({type(error).__name__}: {error})")
        write_json(path, run.record())
        runs.plot_reliability(run.calibration, runs.figure_path(path, "reliability"),
                              f"{run.dataset} {run.split}".strip())
        print(f"\n== {report.title(run)} ({path.name}, arbiter {predictor.path}) ==")
        print(report.calibration_caption(run))
        print(report.calibration(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
