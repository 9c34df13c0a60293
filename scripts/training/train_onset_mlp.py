"""Train the onset MLP signal's checkpoint (full model + song-fold models) on tuning files.

    python scripts/training/train_onset_mlp.py --workers 2

Features come through the cache, so re-training after a change to the model code
recomputes nothing. The test split is never read.
"""
import sys
import time

import numpy as np
import torch
from tabulate import tabulate

from meterlab import cli, config
from meterlab.learn import onset_mlp
from meterlab.engine.versions import analysis_version
from meterlab.learn.onset_training import FEATURES, collect_features

def report(checkpoint):
    """Table of each model's size, early-stopping epoch and accuracies."""
    rows = [[f"fold {index}", model["n_train"], model["n_val"], model["best_epoch"],
             model["val_accuracy"], model["held_out_accuracy"]]
            for index, model in enumerate(checkpoint["folds"])]
    full = checkpoint["full"]
    rows.append(["full", full["n_train"], full["n_val"], full["best_epoch"],
                 full["val_accuracy"], None])
    return tabulate(rows, floatfmt=".3f", missingval="-", headers=[
        "model", "train files", "val files", "best epoch", "val accuracy",
        "held-out fold accuracy"])


@cli.exits_on_storage_error
def main(argv=None):
    parser = cli.script_parser(__doc__)
    cli.add_dataset_arguments(parser)
    cli.add_worker_arguments(parser)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5, help="song folds for out-of-fold scores")
    parser.add_argument("--out", type=str, default=str(config.ONSET_MLP_CHECKPOINT),
                        help=f"checkpoint path (default: {config.ONSET_MLP_CHECKPOINT})")
    args = parser.parse_args(argv)
    cli.require_tuning_split(args.split)

    entries = cli.load_entries(args)
    start = time.perf_counter()
    results = collect_features([entry.path for entry in entries], **cli.worker_options(args))
    elapsed = time.perf_counter() - start
    kept = [(entry, result) for entry, result in zip(entries, results) if result[0] is not None]
    for entry, (_, _, problem, _) in zip(entries, results):
        if problem is not None:
            print(f"skipped {entry.path}: {problem}", file=sys.stderr)
    if not kept:
        sys.exit("error: no usable files")
    computed = [seconds for _, (_, _, _, seconds) in kept if seconds > 0]
    print(f"{len(kept)} files ({len(entries) - len(kept)} skipped) in {elapsed:.1f} s; "
          f"{FEATURES} computed for {len(computed)}"
          + (f", {np.mean(computed):.3f} s/file of its own" if computed else ""))

    torch.set_num_threads(1)  # bit-identical weights for a seed
    classes = sorted({entry.meter for entry, _ in kept})
    checkpoint = onset_mlp.train(
        np.stack([result[0] for _, result in kept]), [entry.meter for entry, _ in kept],
        [entry.song_id for entry, _ in kept], [result[1] for _, result in kept], classes,
        args.seed, args.folds, feature_version=analysis_version(FEATURES))
    onset_mlp.save(checkpoint, args.out)
    print(report(checkpoint))
    print(f"classes {classes}; checkpoint written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
