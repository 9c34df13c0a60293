"""Train the bar model (which tracked beats are downbeats) on the annotated train splits.

    python scripts/training/train_bar_model.py -w 2          # what `make bar-model` runs

Reads the cached analyses of the corpus's and the real scores' ``train`` files (run `make
warm` first), trains seeded, and prints, on their ``val`` files, the mean downbeat
F-measure of the DBN's downbeats and of the bar model's (its bar length chosen, and
given). The test splits are never read. Writes the checkpoint and its provenance JSON.
"""
import copy
import sys

from tabulate import tabulate

from meterlab import cli
from meterlab.data.layout import annotation_path
from meterlab.tracker.bar_model import CHECKPOINT
from meterlab.tracker.bar_training import EPOCHS, collect, train_and_save

DATASETS = ("corpus", "scores")


def records(args, dataset, split, scored=False):
    """The usable annotated files of one dataset's split (the unusable ones printed);
    ``scored`` ones carry the DBN's downbeats too."""
    chosen = copy.copy(args)
    chosen.dataset, chosen.split = dataset, split
    entries = [e for e in cli.load_entries(chosen) if annotation_path(e.path).is_file()]
    found = collect(entries, **cli.worker_options(args), scored=scored)
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

    train = [record for dataset in DATASETS for record in records(args, dataset, "train")]
    val = {dataset: records(args, dataset, "val", scored=True) for dataset in DATASETS}
    provenance = train_and_save(train, val, args.out, args.epochs, args.seed)
    print(tabulate([[name, v["files"], f"{v['dbn']:.3f}", f"{v['bar model']:.3f}",
                     f"{v['bar model, annotated length']:.3f}"]
                    for name, v in provenance["validation"].items()],
                   headers=["val split", "files", "DBN downbeat F", "bar model", "bar model, annotated length"]))
    print(f"{len(train)} training files, {provenance['training_minutes']} min; checkpoint {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
