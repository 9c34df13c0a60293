"""The models committed inside the package, so that a fresh install answers at once.

``meterlab/models/`` holds the arbiter and the onset MLP of a finished ``make all`` and
``PROVENANCE.json``: the data, seed, commit, cross-validation and test figures, the
library versions they were trained with and the command that made them
(:mod:`meterlab.evaluate.shipping` writes them). A model the user trained in ``data/``
takes precedence over these.
"""
import json
from pathlib import Path

#: The package's models folder (``lib/meterlab/models`` in a clone).
MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
ARBITER = "meter_arbiter.pt"
ONSET_MLP = "onset_mlp.pt"
PROVENANCE = "PROVENANCE.json"


def path(name):
    """Where the shipped file ``name`` lives (read at call time: tests repoint it)."""
    return MODELS_DIR / name


def provenance():
    """The shipped models' provenance (``{}`` when none is shipped)."""
    file = path(PROVENANCE)
    if not file.is_file():
        return {}
    try:
        return json.loads(file.read_text())
    except ValueError as error:
        raise ValueError(f"{file}: not valid JSON ({error})") from None
