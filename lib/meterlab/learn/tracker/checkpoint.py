"""The committed tracker: its weights and, beside them, its provenance.

``meterlab/models/tracker/tracker.pt``, inside the package, holds the network's float32
weights and the feature settings it was trained on; ``tracker.json`` beside it holds the
data recipe, the seed, the commit it was trained at, training minutes and the validation
figures, as madmom ships its models with their training details. Analyses that read the
tracker name the ``.pt`` as their ``model_file()``, so its hash is part of their cache
version.
"""
import json
from pathlib import Path

import torch

from ..shipped import MODELS_DIR
from . import features
from .model import BeatTCN

CHECKPOINT = MODELS_DIR / "tracker" / "tracker.pt"


class TrackerError(Exception):
    """A checkpoint that does not fit this code (another feature recipe)."""


def feature_recipe():
    return {"fps": features.FPS, "sample_rate": features.SAMPLE_RATE, "frame_size": features.FRAME_SIZE,
            "bands_per_octave": features.BANDS_PER_OCTAVE, "fmin": features.FMIN, "fmax": features.FMAX}


def save(model, path, provenance):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "n_bins": model.n_bins, "features": feature_recipe()}, path)
    path.with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n")


def load(path=CHECKPOINT):
    """The network in eval mode; raises :class:`TrackerError` when its features differ."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["features"] != feature_recipe():
        raise TrackerError(f"{path} was trained on other features ({state['features']}): run `make tracker`")
    model = BeatTCN(state["n_bins"])
    model.load_state_dict(state["state_dict"])
    return model.eval()
