"""Fine-tune one of madmom's downbeat networks on the tracker data, held near its shipped weights.

madmom's networks learned recorded music with drums; the tracker data teaches performed
music without them. Training starts from the shipped weights (:func:`blstm.shipped`)
and adds ``L2_PULL * ||w - w_shipped||^2`` to the frame cross-entropy, so what the network
knew about recordings is given up only where the new data pays for it. Crops, targets and
the frame loss are :mod:`.training`'s; the input is madmom's own pre-processing, cached
per clip by ``make tracker-data`` (``blstm_features``).
"""
import time

import numpy as np
import torch

from ..learn.tracker import blstm, checkpoint
from ..learn.tracker.fused import FusedDownbeatBLSTM
from . import training

#: The ensemble member fine-tuned (one network with madmom's pre-processing: 0.3x the
#: ensemble's inference CPU time, measured). Chosen among members 0-3, each fine-tuned
#: alike, on the held-out tracker works and the real-score validation files (beat F /
#: downbeat F / level): 0 0.831 / 0.624 / 65.6% and 0.911 / 0.531 / 89.0%; 1 0.839 / 0.624 /
#: 69.7% and 0.902 / 0.593 / 85.7%; 2 0.839 / 0.617 / 68.8% and 0.908 / 0.614 / 86.8%;
#: 3 0.840 / 0.651 / 70.5% and 0.907 / 0.599 / 90.1%.
NETWORK_INDEX = 3
#: Networks in madmom's shipped downbeat ensemble (:func:`blstm.madmom_networks`), any of
#: which `train_tracker.py --member` fine-tunes.
MEMBERS = 8
#: Units per direction and layer: madmom's 25 widened (:meth:`FusedDownbeatBLSTM.from_blstm`).
#: On the held-out tracker works and the real-score validation files (beat F / downbeat F /
#: level; 3x the data): 25 units, 3,000 steps 0.870 / 0.676 / 75.1% and 0.897 / 0.602 /
#: 87.9%; 40 units, 1,800 steps 0.866 / 0.672 / 74.8% and 0.915 / 0.604 / 92.3%; 64 units,
#: 1,800 steps 0.876 / 0.691 / 76.4% and 0.904 / 0.647 / 85.7% (6 validation files' level
#: lost).
UNITS = 40
#: Steps of :data:`BATCH` crops of :func:`train` (torch's fused LSTM at 40 units: about
#: 0.6 s a step here). More did not help: with the 3x data the training and held-out
#: losses meet, 25 units at 3,000 steps were no better than at 1,500.
STEPS = 1800
BATCH = 32
#: Crop length (frames): 10 s, several bars at any tempo.
CROP_FRAMES = 1000
#: Adam's learning rate at the start, annealed to zero along a cosine.
LEARNING_RATE = 1e-3
#: Weight of the squared distance to the shipped weights (summed over every weight).
L2_PULL = 0.0
#: Gradient norm clip (recurrent networks).
CLIP_NORM = 1.0
#: Full-batch steps of :func:`train_output`, and its learning rate.
OUTPUT_STEPS = 300
OUTPUT_LEARNING_RATE = 1e-2
#: :func:`train_output`'s pull. Its recurrent layers stay exactly madmom's, so the pull
#: only holds the 153 softmax weights; chosen on the held-out tracker works (beat F,
#: downbeat F, level): pull 1e-1 0.718 / 0.511 / 45.1%, 1e-2 0.720 / 0.539 / 45.9%,
#: 1e-3 0.761 / 0.558 / 57.4%, 1e-4 0.781 / 0.564 / 62.3%, none 0.791 / 0.581 / 63.9%.
OUTPUT_L2_PULL = 0.0
#: Steps between held-out losses in the history.
EVAL_STEPS = 100


def pull(module, anchor):
    """``||w - w_shipped||^2`` over every parameter of ``module``."""
    return sum(((p - a) ** 2).sum() for p, a in zip(module.parameters(), anchor))


def train(data_dir, steps=STEPS, seed=0, index=NETWORK_INDEX, units=UNITS, log=print):
    """Fine-tune every layer of network ``index`` (:mod:`meterlab.learn.tracker.fused`),
    with ``units`` per direction and layer; returns ``(model, history)``, a row per
    :data:`EVAL_STEPS`."""
    torch.manual_seed(seed)
    torch.set_num_threads(training.THREADS)
    rng = np.random.default_rng(seed)
    train_clips = training.load_clips(data_dir, "train", "blstm_features")
    val_batch = training.batch(training.load_clips(data_dir, "val", "blstm_features"),
                               np.random.default_rng(seed + 1), CROP_FRAMES, size=BATCH)
    model = FusedDownbeatBLSTM.from_blstm(blstm.shipped(index), units)
    anchor = [p.detach().clone() for p in model.parameters()]
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
    history, total, start = [], 0.0, time.perf_counter()
    for step in range(1, steps + 1):
        model.train()
        x, y, _, _ = training.batch(train_clips, rng, CROP_FRAMES, size=BATCH)
        loss = training.frame_loss(model(x), y) + L2_PULL * pull(model, anchor)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        optimiser.step()
        schedule.step()
        total += loss.item()
        if step % EVAL_STEPS == 0 or step == steps:
            model.eval()
            with torch.no_grad():
                val_loss = float(training.frame_loss(model(val_batch[0]), val_batch[1]))
            history.append({"step": step, "train_loss": round(total / step, 5), "val_loss": round(val_loss, 5),
                            "pull": round(float(pull(model, anchor).detach()), 4),
                            "minutes": round((time.perf_counter() - start) / 60, 2)})
            log(history[-1])
    return model.eval(), history


def _hidden_frames(clips, layers):
    """Every frame's last recurrent output (madmom's loop) and its soft target, stacked."""
    hidden, targets = [], []
    for _, feats, beats, downbeats in clips:
        out = feats.astype(np.float32)
        for layer in layers[:-1]:
            out = layer(out)
        hidden.append(out)
        targets.append(training.frame_targets(len(out), beats, downbeats))
    return torch.from_numpy(np.concatenate(hidden)), torch.from_numpy(np.concatenate(targets))


def train_output(data_dir, steps=OUTPUT_STEPS, seed=0, index=NETWORK_INDEX, log=print):
    """Fine-tune only the softmax layer, the recurrent layers kept as shipped.

    The cheap end of fine-tuning: the recurrent layers' outputs are computed once per
    clip (madmom's fast loop), then the softmax trains on every frame at once, with the
    loss of :func:`train` and :data:`OUTPUT_L2_PULL`. Unlike :func:`train` it keeps
    madmom's peephole layers exactly as shipped.
    """
    torch.manual_seed(seed)
    torch.set_num_threads(training.THREADS)
    layers = blstm.madmom_networks()[index]
    x, y = _hidden_frames(training.load_clips(data_dir, "train", "blstm_features"), layers)
    val_x, val_y = _hidden_frames(training.load_clips(data_dir, "val", "blstm_features"), layers)
    model = blstm.shipped(index)
    output = model.output
    anchor = [p.detach().clone() for p in output.parameters()]
    optimiser = torch.optim.Adam(output.parameters(), lr=OUTPUT_LEARNING_RATE)
    history, start = [], time.perf_counter()
    for step in range(1, steps + 1):
        loss = training.frame_loss(output(x)[None], y[None]) + OUTPUT_L2_PULL * pull(output, anchor)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % EVAL_STEPS == 0 or step == steps:
            with torch.no_grad():
                val_loss = float(training.frame_loss(output(val_x)[None], val_y[None]))
            history.append({"step": step, "train_loss": round(loss.item(), 5), "val_loss": round(val_loss, 5),
                            "minutes": round((time.perf_counter() - start) / 60, 2)})
            log(history[-1])
    return model.eval(), history


def network_activations(model):
    """``activations_of`` for :func:`training.evaluate` (reads ``blstm_features`` clips),
    computed as the tracker analysis computes them for ``model``'s class."""
    compute = checkpoint.NETWORKS[type(model).__name__].activations
    return lambda name, feats: compute(model, feats)
