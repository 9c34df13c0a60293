"""`make tracker`: train, measure on held-out tracker works beside madmom, save with provenance."""
import json
import time
from pathlib import Path

from .. import config
from ..engine.file_analysis import FileAnalysis
from ..engine.cache import Cache
from ..learn.tracker import checkpoint
from ..evaluate.shipping import git_commit
from . import finetune, training

#: The committed checkpoint's training length: sized so that `make tracker` (training and
#: the held-out figures) stays within an hour on a 2-core machine shared with other work.
EPOCHS = 1
#: The network `make tracker` trains: "tcn" (:mod:`.training`), "blstm" (:mod:`.finetune`,
#: every layer) or "blstm-output" (its softmax layer only). Chosen on the held-out tracker
#: works (beat F, downbeat F, level; network 0, before the member was chosen in
#: :data:`.finetune.NETWORK_INDEX`): every layer 0.831 / 0.624 / 65.6%, the softmax alone
#: 0.791 / 0.581 / 63.9%, the one-epoch TCN 0.504 / 0.049 / 27.1%.
NETWORK = "blstm"


def madmom_activations(data_dir):
    """``activations_of`` for :func:`training.evaluate`: madmom's downbeat network on a
    validation clip's augmented audio (through the shared, cached analysis)."""
    cache = Cache(config.CACHE_DIR)

    def activations_of(name, feats):
        value = FileAnalysis(Path(data_dir) / "val" / "audio" / f"{name}.flac", cache)["madmom_activations"]
        return value["activations"]
    return activations_of


def _train(network, data_dir, epochs, steps, seed, member, units, log):
    """``(model, history, clips key, activations_of, settings)`` of one training run."""
    if network == "blstm-output":
        steps = steps or finetune.OUTPUT_STEPS
        model, history = finetune.train_output(data_dir, steps, seed, member, log=log)
        settings = {"network_index": member, "steps": steps, "trained": "softmax layer",
                    "learning_rate": finetune.OUTPUT_LEARNING_RATE, "l2_pull": finetune.OUTPUT_L2_PULL}
        return model, history, "blstm_features", finetune.network_activations(model), settings
    if network == "blstm":
        steps = steps or finetune.STEPS
        model, history = finetune.train(data_dir, steps, seed, member, units, log=log)
        settings = {"network_index": member, "units": units, "steps": steps, "crop_frames": finetune.CROP_FRAMES,
                    "batch": finetune.BATCH, "learning_rate": finetune.LEARNING_RATE,
                    "l2_pull": finetune.L2_PULL}
        return model, history, "blstm_features", finetune.network_activations(model), settings
    model, history = training.train(data_dir, epochs, seed, log)
    settings = {"epochs": epochs, "crop_frames": training.CROP_FRAMES, "batch": training.BATCH,
                "learning_rate": training.LEARNING_RATE}
    return model, history, "features", training.network_activations(model), settings


def train_and_save(data_dir, out, network=NETWORK, epochs=EPOCHS, steps=None, seed=0,
                   member=finetune.NETWORK_INDEX, units=finetune.UNITS, log=print):
    """Train (``steps=None``: the network's default; ``member``: which of madmom's eight
    shipped BLSTMs a "blstm" network starts from, ``units`` its width), evaluate both
    trackers on the validation clips, save; returns the provenance."""
    start, commit = time.perf_counter(), git_commit()
    model, history, key, activations_of, settings = _train(network, data_dir, epochs, steps, seed,
                                                           member, units, log)
    minutes = round((time.perf_counter() - start) / 60, 1)
    val_clips = training.load_clips(data_dir, "val", key)
    validation = {"tracker": training.evaluate(activations_of, val_clips),
                  "madmom": training.evaluate(madmom_activations(data_dir), val_clips)}
    recipe = json.loads((Path(data_dir) / "tracker_data.json").read_text())
    recipe.pop("clips")
    provenance = {"model": type(model).__name__, "parameters": int(sum(p.numel() for p in model.parameters())),
                  "seed": seed, "commit": commit, "training_minutes": minutes,
                  "data_recipe": recipe, "validation_clips": len(val_clips),
                  "validation": {k: {m: round(v, 4) for m, v in figures.items()} for k, figures in validation.items()},
                  "history": history, "settings": settings}
    checkpoint.save(model, out, provenance)
    provenance["checkpoint_kb"] = round(Path(out).stat().st_size / 1024, 1)
    Path(out).with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n")
    return provenance
