"""Commit a finished `make all`'s arbiter and onset MLP into the package, with provenance.

    python scripts/ship_models.py        # make ship-models

Copies data/meter_arbiter.pt and data/onset_mlp.pt to lib/meterlab/models/ and writes
PROVENANCE.json beside them (commit, seed, data, cross-validation and test figures,
library and signal versions). Refuses an arbiter whose signals changed since training.
"""
import sys

from tabulate import tabulate

from meterlab import cli
from meterlab.evaluate.shipping import ship
from meterlab.learn.mlp import CheckpointError


def main(argv=None):
    cli.script_parser(__doc__).parse_args(argv)
    try:
        record = ship()
    except CheckpointError as error:
        sys.exit(f"error: {error}")
    cross_validation = record["cross_validation"]
    rows = [["commit", record["commit"]], ["data", record["dataset"]],
            ["seed", record["seed"]], ["songs", record["songs"]],
            ["CV accuracy", f"{cross_validation.get('accuracy_mean', float('nan')):.1%}"]]
    rows += [[f"test accuracy ({name})", f"{figures['accuracy']:.1%} of {figures['n']}"]
             for name, figures in record["test"].items()]
    print(tabulate(rows, headers=["shipped", ""]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
