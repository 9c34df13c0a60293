"""The committed tracker: its weights and, beside them, its provenance.

``meterlab/models/tracker/tracker.pt``, inside the package, holds the network's float32
weights, which network it is (:data:`NETWORKS`), its width where it has one (``options``)
and the feature settings it was trained on; ``tracker.json`` beside it holds the data
recipe, the seed, the commit it was trained at, training minutes and the validation
figures, as madmom ships its models with their training details. Analyses that read the
tracker name the ``.pt`` as their ``model_file()``, so its hash is part of their cache
version.
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from ..shipped import MODELS_DIR
from . import blstm, features, fused, model

CHECKPOINT = MODELS_DIR / "tracker" / "tracker.pt"


class TrackerError(Exception):
    """A checkpoint that does not fit this code (another feature recipe)."""


def feature_recipe():
    return {"fps": features.FPS, "sample_rate": features.SAMPLE_RATE, "frame_size": features.FRAME_SIZE,
            "bands_per_octave": features.BANDS_PER_OCTAVE, "fmin": features.FMIN, "fmax": features.FMAX}


@dataclass(frozen=True)
class Network:
    """A tracker network class with the input it reads and how its output is read."""
    cls: type
    sample_rate: int
    features: Callable     # (mono samples, sample rate) -> (frames, bins)
    activations: Callable  # (network, features) -> madmom-style (frames, 2)
    recipe: Callable       # () -> the feature settings a checkpoint must match


#: Every network a checkpoint may hold, by class name.
NETWORKS = {
    "BeatTCN": Network(model.BeatTCN, features.SAMPLE_RATE, features.spectrogram, model.activations,
                       feature_recipe),
    "DownbeatBLSTM": Network(blstm.DownbeatBLSTM, blstm.SAMPLE_RATE, blstm.features, blstm.madmom_activations,
                             blstm.feature_recipe),
    "FusedDownbeatBLSTM": Network(fused.FusedDownbeatBLSTM, blstm.SAMPLE_RATE, blstm.features, blstm.activations,
                                  blstm.feature_recipe),
}


@dataclass(frozen=True)
class Tracker:
    """A loaded checkpoint: ``activations(y)`` of mono samples at ``sample_rate``."""
    network: torch.nn.Module
    kind: Network

    @property
    def sample_rate(self):
        return self.kind.sample_rate

    def activations(self, y):
        return self.kind.activations(self.network, self.kind.features(y, self.sample_rate))


def save(network, path, provenance):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    name = type(network).__name__
    torch.save({"network": name, "state_dict": network.state_dict(), "n_bins": network.n_bins,
                "options": getattr(network, "options", {}), "features": NETWORKS[name].recipe()}, path)
    path.with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n")


def load(path=CHECKPOINT):
    """The :class:`Tracker` in eval mode; raises :class:`TrackerError` when its features differ."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    # Checkpoints written before the BLSTM existed name no network: they hold a BeatTCN.
    kind = NETWORKS[state.get("network", "BeatTCN")]
    if state["features"] != kind.recipe():
        raise TrackerError(f"{path} was trained on other features ({state['features']}): run `make tracker`")
    network = kind.cls(state["n_bins"], **state.get("options", {}))
    network.load_state_dict(state["state_dict"])
    return Tracker(network.eval(), kind)
