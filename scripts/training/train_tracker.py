"""Train the beat/downbeat tracker on `make tracker-data`'s clips and commit-ready save it.

    python scripts/training/train_tracker.py                     # what `make tracker` runs
    python scripts/training/train_tracker.py --network tcn --epochs 2 --out /tmp/t.pt
    python scripts/training/train_tracker.py --network blstm-output --out /tmp/b.pt
    python scripts/training/train_tracker.py --member 1 --out /tmp/m1.pt   # from madmom's network 1
    python scripts/training/train_tracker.py --units 25 --out /tmp/n.pt    # network 3 at madmom's width

Prints each epoch's losses, then the held-out tracker works' figures (mir_eval beat and
downbeat F-measure, share at the annotated level) for the network and for madmom's
downbeat network on the same clips; writes the checkpoint and its provenance JSON.
"""
import sys

from tabulate import tabulate

from meterlab import cli, config
from meterlab.learn.tracker.checkpoint import CHECKPOINT
from meterlab.tracker.finetune import MEMBERS, NETWORK_INDEX, OUTPUT_STEPS, STEPS, UNITS
from meterlab.tracker.run import EPOCHS, NETWORK, train_and_save


def main(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--data", default=config.DATA_DIR / "tracker")
    parser.add_argument("--out", default=CHECKPOINT)
    parser.add_argument("--network", choices=("tcn", "blstm", "blstm-output"), default=NETWORK,
                        help="the TCN from scratch, or madmom's downbeat BLSTM fine-tuned (every layer, or its softmax)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="TCN epochs")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"BLSTM fine-tuning steps (default {STEPS}; blstm-output: {OUTPUT_STEPS} full-batch steps)")
    parser.add_argument("--member", type=int, choices=range(MEMBERS), default=NETWORK_INDEX,
                        help=f"which of madmom's {MEMBERS} shipped BLSTMs to fine-tune (default {NETWORK_INDEX})")
    parser.add_argument("--units", type=int, default=UNITS,
                        help=f"BLSTM units per direction and layer (default {UNITS}; madmom's network has 25)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    provenance = train_and_save(args.data, args.out, args.network, args.epochs, args.steps, args.seed,
                                args.member, args.units)
    rows = [[name, f"{v['beat_f']:.3f}", f"{v['downbeat_f']:.3f}", f"{v['level']:.1%}"]
            for name, v in provenance["validation"].items()]
    print(tabulate(rows, headers=["held-out tracker works", "beat F", "downbeat F", "annotated level"]))
    print(f"{provenance['training_minutes']} min of training; checkpoint {args.out}")


if __name__ == "__main__":
    sys.exit(main())
