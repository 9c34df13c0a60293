"""Train the bar model (which tracked beats are downbeats, and so which bar length) on the
annotated tuning splits, cross-fitted.

    python scripts/training/train_bar_model.py -w 2          # what `make bar-model` runs

Reads the cached analyses of the corpus's and the real scores' ``tuning`` files (run `make
warm` first) and trains, seeded, a full ensemble (three seeds) and one ensemble per song
fold without it (the bar model is a meter signal, and the arbiter trains on the same
files). Prints, per dataset, over files read by the fold ensemble that never saw them: the mean downbeat
F-measure of the DBN's downbeats and of the bar model's (its bar length chosen, and
given), and how often the annotated bar length is the most likely. The test splits are
never read. Writes the checkpoint and its provenance JSON.
"""
import copy
import sys

from tabulate import tabulate

from meterlab import cli
from meterlab.data.layout import annotation_path
from meterlab.learn.bar_model import CHECKPOINT
from meterlab.tracker.bar_training import EPOCHS, collect, train_and_save

DATASETS = ("corpus", "scores")


def records(args, dataset):
    """The usable annotated tuning files of one dataset (the unusable ones printed)."""
    chosen = copy.copy(args)
    chosen.dataset, chosen.split = dataset, "tuning"
    entries = [e for e in cli.load_entries(chosen) if annotation_path(e.path).is_file()]
    found = collect(entries, **cli.worker_options(args))
    for record in found:
        if "error" in record:
            print(f"skipped {record['path']}: {record['error']}", file=sys.stderr)
    return [record for record in found if "error" not in record]


@cli.exits_on_storage_error
def main(argv=None):
    parser = cli.script_parser(__doc__)
    cli.add_dataset_arguments(parser)
    cli.add_worker_arguments(parser)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=CHECKPOINT)
    args = parser.parse_args(argv)

    found = {dataset: records(args, dataset) for dataset in DATASETS}
    provenance = train_and_save(found, args.out, args.epochs, args.seed, **cli.worker_options(args))
    print(tabulate([[name, v["files"], f"{v['dbn']:.3f}", f"{v['bar model']:.3f}",
                     f"{v['bar model, annotated length']:.3f}", f"{v['bar length right']:.1%}"]
                    for name, v in provenance["validation"].items()],
                   headers=["tuning files, out of fold", "files", "DBN downbeat F", "bar model",
                            "bar model, annotated length", "bar length right (of 3, 4, 5, 7)"]))
    print(f"{provenance['training_files']} training files; {provenance['seeds']} seeds x (1 full + "
          f"{provenance['folds']} fold) models in {provenance['training_minutes']} min; "
          f"checkpoint {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
