"""Training the bar model (:mod:`meterlab.tracker.bar_model`) on annotated files' cached
analyses, and scoring its downbeats beside the DBN's.

Each file gives its tracked beats' cues and, as targets, which of those beats lie within
mir_eval's window of an annotated downbeat: the model learns on the beats it will be
given, tracking errors included.
"""
import time

import numpy as np
import torch

from .. import config
from ..data.layout import annotation_path, read_beats
from ..engine.audio import AudioError
from ..engine.cache import Cache
from ..engine.file_analysis import FileAnalysis, Unavailable
from ..engine.run import map_files
from ..evaluate import beat_metrics
from . import bar_model
from . import decode

#: A tracked beat within this many seconds of an annotated downbeat is one (mir_eval's window).
WINDOW_S = 0.07
EPOCHS = 150
BATCH = 32
#: Chosen on the val splits (3e-3 ended less steadily: real scores 0.667, corpus 0.874).
LEARNING_RATE = 1e-3
#: Files with fewer tracked beats than this hold no bar to learn from.
MIN_BEATS = 4


def file_record(job):
    """``{"path", "times", "cues", "targets", "downbeats"}`` of one annotated file
    (tracked beats, their cues and targets, annotated downbeats) and, for a file to be
    scored, ``"dbn"`` (the DBN's downbeats, :func:`evaluate`'s baseline); ``{"path",
    "error"}`` when its analyses cannot be had."""
    path, cache_root, scored = job
    try:
        analysis = FileAnalysis(path, Cache(cache_root))
        times = np.asarray(analysis["beats"]["times"])
        if len(times) < MIN_BEATS:
            return {"path": str(path), "error": f"only {len(times)} tracked beats"}
        record = {"path": str(path), "times": times, "cues": bar_model.beat_cues(analysis, times)}
        if scored:
            tracker = analysis["tracker_activations"]
            record["dbn"] = decode.downbeat_times(tracker["activations"], int(tracker["fps"]))
    except (AudioError, Unavailable) as error:
        return {"path": str(path), "error": str(error)}
    annotated, positions = read_beats(annotation_path(path))
    downbeats = annotated[positions == 1]
    near = np.zeros(len(times), bool)
    if len(downbeats):
        near = np.abs(times[:, None] - downbeats[None, :]).min(axis=1) < WINDOW_S
    return {**record, "targets": near.astype(np.float32), "downbeats": downbeats}


def _lost(job, cause):
    return {"path": str(job[0]), "error": cause}


def collect(entries, workers=1, cache_root=config.CACHE_DIR, scheduler=None, scored=False):
    """:func:`file_record` of every entry (with a ``.beats`` annotation), in order; with
    the DBN's downbeats when ``scored`` (the training files need none)."""
    jobs = [(entry.path, cache_root, scored) for entry in entries]
    return list(map_files(file_record, jobs, workers, True, "bar cues", _lost, scheduler))


def _batch(records):
    """Padded ``(cues, targets, mask)`` tensors of ``records``."""
    longest = max(len(r["targets"]) for r in records)
    cues = np.zeros((len(records), longest, len(bar_model.CUES)), np.float32)
    targets = np.zeros((len(records), longest), np.float32)
    mask = np.zeros((len(records), longest), np.float32)
    for row, record in enumerate(records):
        n = len(record["targets"])
        cues[row, :n], targets[row, :n], mask[row, :n] = record["cues"], record["targets"], 1.0
    return torch.from_numpy(cues), torch.from_numpy(targets), torch.from_numpy(mask)


def train(records, epochs=EPOCHS, seed=0, log=print):
    """A :class:`meterlab.tracker.bar_model.BarGRU` fitted to ``records`` (seeded; masked
    binary cross-entropy over the beats) and its per-epoch history."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = bar_model.BarGRU()
    optimiser = torch.optim.Adam(model.parameters(), LEARNING_RATE)
    history, start = [], time.perf_counter()
    for epoch in range(epochs):
        order, total = rng.permutation(len(records)), 0.0
        for first in range(0, len(order), BATCH):
            cues, targets, mask = _batch([records[i] for i in order[first:first + BATCH]])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(cues), targets, reduction="none")
            loss = (loss * mask).sum() / mask.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(cues)
        history.append({"epoch": epoch + 1, "loss": round(total / len(records), 5),
                        "minutes": round((time.perf_counter() - start) / 60, 2)})
        if (epoch + 1) % 25 == 0:
            log(history[-1])
    return model.eval(), history


def evaluate(model, records):
    """Mean downbeat F-measure of the bar model's and the DBN's downbeats over ``records``,
    and the bar model's with the annotated bar length given."""
    scores = {"dbn": [], "bar model": [], "bar model, annotated length": []}
    for record in records:
        times, annotated = record["times"], record["downbeats"]
        probs = bar_model.probabilities(model, record["cues"])
        length, phase = bar_model.choose_bar(probs)
        given = _annotated_length(record)
        given_phase = bar_model.choose_bar(probs, (given,))[1] if given else 0
        scores["dbn"].append(beat_metrics.fmeasure(annotated, record["dbn"]))
        scores["bar model"].append(beat_metrics.fmeasure(annotated, times[phase::length]))
        scores["bar model, annotated length"].append(
            beat_metrics.fmeasure(annotated, times[given_phase::given]) if given else 0.0)
    return {name: float(np.mean(values)) for name, values in scores.items()}


def _annotated_length(record):
    """Median count of tracked beats between annotated downbeats, where it is a candidate."""
    inside = np.searchsorted(record["times"], record["downbeats"])
    counts = np.diff(inside)
    length = int(np.median(counts)) if len(counts) else 0
    return length if length in bar_model.BAR_LENGTHS else None


def train_and_save(train_records, val_records, out=bar_model.CHECKPOINT, epochs=EPOCHS, seed=0):
    """Train on ``train_records``, score on ``val_records`` (``{dataset: records}``), save
    the checkpoint with its provenance; returns the provenance."""
    from ..evaluate.shipping import git_commit

    torch.set_num_threads(1)  # bit-identical weights for a seed
    model, history = train(train_records, epochs, seed)
    provenance = {"model": "BarGRU", "cues": list(bar_model.CUES), "hidden": bar_model.HIDDEN,
                  "seed": seed, "epochs": epochs, "commit": git_commit(),
                  "training_files": len(train_records), "training_minutes": history[-1]["minutes"],
                  "final_loss": history[-1]["loss"],
                  "command": "make bar-model (scripts/training/train_bar_model.py)",
                  "validation": {name: {"files": len(records), **evaluate(model, records)}
                                 for name, records in val_records.items()}}
    bar_model.save(model, out, provenance)
    return provenance
