"""Train the tracker network on :mod:`.data`'s clips, seeded, on the CPU.

Each step takes random crops of :data:`CROP_FRAMES` frames (long enough to hold several
bars at any tempo) from training clips. Frame targets are madmom's three classes (no
beat, beat, downbeat) with each annotated beat widened to its neighbouring frames at
half weight (Böck and Davies' target widening: an annotation a frame off is not a miss);
the tempo target is the crop's median beat tempo, widened likewise over nearby BPM.
An epoch is as many crops as the training clips hold frames once over.
"""
import json
import time
from pathlib import Path

import numpy as np
import torch

from . import decode
from ..analyses.beats import beat_times
from ..learn.tracker import features
from ..evaluate import beat_metrics
from ..learn.tracker.model import MAX_BPM, BeatTCN, activations

CROP_FRAMES = 1500
BATCH = 8
LEARNING_RATE = 2e-3
#: Weight of the tempo loss beside the frame loss.
TEMPO_WEIGHT = 0.2
#: Torch threads: the machine's two cores (fixed, so a run's arithmetic is the same everywhere).
THREADS = 2
#: Steps between progress lines.
PROGRESS_STEPS = 50
#: Half weight one frame (and one BPM) either side of an annotation.
WIDENING = 0.5


def load_clips(data_dir, split, key="features"):
    """``[(name, features float16, beats, downbeats)]`` of one split, by name; ``key``
    names the features (``"blstm_features"``: madmom's downbeat input)."""
    params = json.loads((Path(data_dir) / "tracker_data.json").read_text())
    clips = []
    for name in sorted(c for c, info in params["clips"].items() if info["split"] == split):
        with np.load(Path(data_dir) / "clips" / f"{name}.npz") as data:
            clips.append((name, data[key], data["beats"], data["downbeats"]))
    return clips


def frame_targets(n_frames, beats, downbeats, fps=features.FPS):
    """``(n_frames, 3)`` soft class targets (no beat, beat, downbeat)."""
    target = np.zeros((n_frames, 3), dtype=np.float32)
    for times, column in ((beats, 1), (downbeats, 2)):
        frames = np.round(np.asarray(times) * fps).astype(int)
        for shift, weight in ((-1, WIDENING), (1, WIDENING), (0, 1.0)):
            at = frames + shift
            at = at[(at >= 0) & (at < n_frames)]
            target[at, 1:] = 0.0
            target[at, column] = weight
    target[:, 0] = 1.0 - target[:, 1:].sum(axis=1)
    return target


def tempo_target(beats):
    """A soft distribution over :data:`MAX_BPM` tempo bins, or ``None`` below 2 beats."""
    if len(beats) < 2:
        return None
    bpm = int(np.clip(round(60.0 / np.median(np.diff(beats))), 1, MAX_BPM - 2))
    target = np.zeros(MAX_BPM, dtype=np.float32)
    target[[bpm - 1, bpm + 1]] = WIDENING
    target[bpm] = 1.0
    return target / target.sum()


def batch(clips, rng, crop_frames=CROP_FRAMES, fps=features.FPS, size=BATCH):
    """``(features, frame targets, tempo targets, has tempo)`` of ``size`` random crops."""
    xs, ys, tempi, has_tempo = [], [], [], []
    for index in rng.integers(len(clips), size=size):
        _, feats, beats, downbeats = clips[index]
        start = int(rng.integers(max(len(feats) - crop_frames, 0) + 1))
        crop = np.zeros((crop_frames, feats.shape[1]), dtype=np.float32)
        part = feats[start:start + crop_frames]
        crop[:len(part)] = part
        lo, hi = start / fps, (start + crop_frames) / fps
        inside = (beats >= lo) & (beats < hi)
        xs.append(crop)
        ys.append(frame_targets(crop_frames, beats[inside] - lo, downbeats[(downbeats >= lo) & (downbeats < hi)] - lo))
        tempo = tempo_target(beats[inside])
        has_tempo.append(tempo is not None)
        tempi.append(tempo if tempo is not None else np.zeros(MAX_BPM, np.float32))
    return (torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys)),
            torch.from_numpy(np.stack(tempi)), torch.tensor(has_tempo))


def frame_loss(logits, y):
    """Mean cross-entropy of ``(batch, frames, 3)`` logits against soft frame targets."""
    return -(y * torch.log_softmax(logits, dim=2)).sum(dim=2).mean()


def _loss(model, batch):
    x, y, tempo, has_tempo = batch
    logits, tempo_logits = model(x)
    tempo_loss = -(tempo * torch.log_softmax(tempo_logits, dim=1)).sum(dim=1)
    tempo_loss = (tempo_loss * has_tempo).sum() / has_tempo.sum().clamp(min=1)
    return frame_loss(logits, y) + TEMPO_WEIGHT * tempo_loss


def train(data_dir, epochs, seed=0, log=print):
    """Train a :class:`BeatTCN`; returns ``(model, history)``, history one row per epoch."""
    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    rng = np.random.default_rng(seed)
    train_clips = load_clips(data_dir, "train")
    val_clips = load_clips(data_dir, "val")
    model = BeatTCN(train_clips[0][1].shape[1])
    steps = sum(len(c[1]) for c in train_clips) // (CROP_FRAMES * BATCH)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, LEARNING_RATE, total_steps=epochs * steps)
    val_batch = batch(val_clips, np.random.default_rng(seed + 1))
    history, start = [], time.perf_counter()
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for step in range(steps):
            loss = _loss(model, batch(train_clips, rng))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item()
            if (step + 1) % PROGRESS_STEPS == 0:
                log(f"epoch {epoch + 1}, step {step + 1}/{steps}, mean loss {total / (step + 1):.4f}")
        model.eval()
        with torch.no_grad():
            val_loss = float(_loss(model, val_batch))
        history.append({"epoch": epoch + 1, "train_loss": round(total / steps, 5),
                        "val_loss": round(val_loss, 5), "minutes": round((time.perf_counter() - start) / 60, 2)})
        log(history[-1])
    return model, history


def evaluate(activations_of, clips, fps=features.FPS):
    """Mean :func:`beat_metrics.file_scores` over ``clips``, with ``activations_of(name,
    features)`` -> madmom-style activations of each."""
    records = []
    for name, feats, beats, downbeats in clips:
        act = activations_of(name, feats)
        records.append(beat_metrics.file_scores(beats, downbeats, beat_times(act, fps),
                                           decode.downbeat_times(act, fps)))
    return beat_metrics.mean_scores(records)


def network_activations(model):
    return lambda name, feats: activations(model, feats.astype(np.float32))
