"""`make tracker`: train, measure on held-out tracker works beside madmom, save with provenance."""
import json
import time
from pathlib import Path

from .. import config
from ..engine.file_analysis import FileAnalysis
from ..engine.cache import Cache
from ..learn.tracker import checkpoint
from ..evaluate.shipping import git_commit
from . import training

#: The committed checkpoint's training length: sized so that `make tracker` (training and
#: the held-out figures) stays within an hour on a 2-core machine shared with other work.
EPOCHS = 1


def madmom_activations(data_dir):
    """``activations_of`` for :func:`training.evaluate`: madmom's downbeat network on a
    validation clip's augmented audio (through the shared, cached analysis)."""
    cache = Cache(config.CACHE_DIR)

    def activations_of(name, feats):
        value = FileAnalysis(Path(data_dir) / "val" / "audio" / f"{name}.flac", cache)["madmom_activations"]
        return value["activations"]
    return activations_of


def train_and_save(data_dir, out, epochs=EPOCHS, seed=0, log=print):
    """Train, evaluate both trackers on the validation clips, save; returns the provenance."""
    start, commit = time.perf_counter(), git_commit()
    model, history = training.train(data_dir, epochs, seed, log)
    minutes = round((time.perf_counter() - start) / 60, 1)
    val_clips = training.load_clips(data_dir, "val")
    validation = {"tracker": training.evaluate(training.network_activations(model), val_clips),
                  "madmom": training.evaluate(madmom_activations(data_dir), val_clips)}
    recipe = json.loads((Path(data_dir) / "tracker_data.json").read_text())
    recipe.pop("clips")
    provenance = {"model": "BeatTCN", "parameters": int(sum(p.numel() for p in model.parameters())),
                  "seed": seed, "epochs": epochs, "commit": commit, "training_minutes": minutes,
                  "data_recipe": recipe, "validation_clips": len(val_clips),
                  "validation": {k: {m: round(v, 4) for m, v in figures.items()} for k, figures in validation.items()},
                  "history": history, "settings": {"crop_frames": training.CROP_FRAMES, "batch": training.BATCH,
                                                   "learning_rate": training.LEARNING_RATE}}
    checkpoint.save(model, out, provenance)
    provenance["checkpoint_kb"] = round(Path(out).stat().st_size / 1024, 1)
    Path(out).with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n")
    return provenance
