"""The meter of your own audio: the same as `meterlab predict` (see
meterlab/commands/predict.py; `python scripts/predict.py --help`)."""
import sys

from meterlab.commands.predict import main

if __name__ == "__main__":
    sys.exit(main())
