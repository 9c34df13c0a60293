"""Training the bar model (:mod:`meterlab.learn.bar_model`) on annotated files' cached
analyses, cross-fitted, and scoring its downbeats beside the DBN's.

Each file gives its tracked beats' cues and, as targets, which of those beats lie within
mir_eval's window of an annotated downbeat: the model learns on the beats it will be
given, tracking errors included. Its scores are a meter signal, and the arbiter trains on
the same tuning files, so a full ensemble is trained on every file and one fold ensemble
per song fold without it (:mod:`meterlab.learn.cross_fitting`); the fold ensembles'
readings of the files they never saw are the validation figures.
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
from ..evaluate.shipping import git_commit
from ..learn import bar_model
from ..learn.cross_fitting import file_folds
from ..signals import bar_model as bar_signal
from . import decode

#: A tracked beat within this many seconds of an annotated downbeat is one (mir_eval's window).
WINDOW_S = 0.07
EPOCHS = 150
BATCH = 32
#: Chosen on the val splits (3e-3 ended less steadily: real scores 0.667, corpus 0.874).
LEARNING_RATE = 1e-3
FOLDS = 5
FOLD_SALT = "bar-model-fold"
#: Seeds per ensemble: three lifted the out-of-fold downbeat F-measure from 0.888 / 0.677
#: (one seed) to 0.900 / 0.702 on the corpus's / real scores' tuning files.
SEEDS = 3


def file_record(job):
    """``{"path", "song", "key", "times", "cues", "targets", "downbeats", "dbn"}`` of one
    annotated file (its song id and audio key, tracked beats, their cues and targets,
    annotated downbeats, and the DBN's downbeats as :func:`evaluate`'s baseline); ``{"path",
    "error"}`` when its analyses cannot be had."""
    path, song, cache_root = job
    try:
        analysis = FileAnalysis(path, Cache(cache_root))
        times = np.asarray(analysis["beats"]["times"])
        if len(times) < bar_signal.MIN_BEATS:
            return {"path": str(path), "error": f"only {len(times)} tracked beats"}
        tracker = analysis["tracker_activations"]
        record = {"path": str(path), "song": song, "key": analysis.key, "times": times,
                  "cues": bar_signal.beat_cues(analysis, times),
                  "dbn": decode.downbeat_times(tracker["activations"], int(tracker["fps"]))}
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


def collect(entries, workers=1, cache_root=config.CACHE_DIR, scheduler=None):
    """:func:`file_record` of every entry (with a ``.beats`` annotation), in order."""
    jobs = [(entry.path, entry.song_id, cache_root) for entry in entries]
    return list(map_files(file_record, jobs, workers, True, "bar cues", _lost, scheduler))


def _batch(records):
    """Padded ``(cues, targets, mask)`` tensors of ``records``."""
    longest = max(len(r["targets"]) for r in records)
    cues = np.zeros((len(records), longest, len(bar_signal.CUES)), np.float32)
    targets = np.zeros((len(records), longest), np.float32)
    mask = np.zeros((len(records), longest), np.float32)
    for row, record in enumerate(records):
        n = len(record["targets"])
        cues[row, :n], targets[row, :n], mask[row, :n] = record["cues"], record["targets"], 1.0
    return torch.from_numpy(cues), torch.from_numpy(targets), torch.from_numpy(mask)


def train(records, epochs=EPOCHS, seed=0):
    """A :class:`meterlab.learn.bar_model.BarGRU` fitted to ``records`` (seeded, one
    thread, so the weights are bit-identical for a seed; masked binary cross-entropy over
    the beats) and its mean loss per epoch."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = bar_model.BarGRU(len(bar_signal.CUES))
    optimiser = torch.optim.Adam(model.parameters(), LEARNING_RATE)
    losses = []
    for _ in range(epochs):
        order, total = rng.permutation(len(records)), 0.0
        for first in range(0, len(order), BATCH):
            cues, targets, mask = _batch([records[i] for i in order[first:first + BATCH]])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(cues), targets, reduction="none")
            loss = (loss * mask).sum() / mask.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(cues)
        losses.append(total / len(records))
    return model.eval(), losses


def _train_job(job):
    records, epochs, seed = job
    return train(records, epochs, seed)


def _lost_model(job, cause):
    raise RuntimeError(f"training a bar model (seed {job[2]}) was lost: {cause}")


def cross_fit(records, epochs=EPOCHS, seed=0, folds=FOLDS, seeds=SEEDS, workers=1, scheduler=None):
    """``(full ensemble, fold ensembles, fold of each record, the full models' losses per
    epoch)``: for each of ``seeds`` ensemble members ``s``, a full model (seed ``seed +
    100 s``) on every record and fold ``f``'s (``seed + 100 s + 1 + f``) on those outside
    it."""
    fold_of = file_folds([r["song"] for r in records], [r["key"] for r in records], folds, FOLD_SALT)
    outside = [[r for r, f in zip(records, fold_of) if f != fold] for fold in range(folds)]
    jobs = [(records, epochs, seed + 100 * member) for member in range(seeds)] + [
        (outside[fold], epochs, seed + 100 * member + 1 + fold)
        for member in range(seeds) for fold in range(folds)]
    trained = list(map_files(_train_job, jobs, workers, True, "bar models", _lost_model, scheduler))
    models = [model for model, _ in trained]
    fold_ensembles = [models[seeds + fold::folds] for fold in range(folds)]
    return models[:seeds], fold_ensembles, fold_of, [losses for _, losses in trained[:seeds]]


def evaluate(ensembles, records):
    """Over ``records``, each read by ``ensembles[i]`` (a list of models): the mean downbeat F-measure of the DBN's
    downbeats and of the bar model's (its bar length chosen, and given), and the share of
    files in 3, 4, 5 or 7 whose bar length is the most likely of those four (what the
    meter signal reads)."""
    scores = {"dbn": [], "bar model": [], "bar model, annotated length": [], "bar length right": []}
    for ensemble, record in zip(ensembles, records):
        times, annotated = record["times"], record["downbeats"]
        likelihoods = bar_model.bar_log_likelihoods(bar_model.probabilities(ensemble, record["cues"]))
        length = max(likelihoods, key=lambda each: likelihoods[each][0])
        scores["dbn"].append(beat_metrics.fmeasure(annotated, record["dbn"]))
        scores["bar model"].append(beat_metrics.fmeasure(annotated, times[likelihoods[length][1]::length]))
        given = _annotated_length(record)
        if given:
            scores["bar model, annotated length"].append(
                beat_metrics.fmeasure(annotated, times[likelihoods[given][1]::given]))
        if given in config.DEFAULT_CLASSES:
            scores["bar length right"].append(
                max(config.DEFAULT_CLASSES, key=lambda each: likelihoods[each][0]) == given)
    return {name: float(np.mean(values)) if values else float("nan")
            for name, values in scores.items()}


def _annotated_length(record):
    """Median count of tracked beats between annotated downbeats, where it is a candidate."""
    inside = np.searchsorted(record["times"], record["downbeats"])
    counts = np.diff(inside)
    length = int(np.median(counts)) if len(counts) else 0
    return length if length in bar_model.BAR_LENGTHS else None


def train_and_save(records, out=bar_model.CHECKPOINT, epochs=EPOCHS, seed=0, workers=1,
                   scheduler=None):
    """Cross-fit on ``records`` (``{dataset: records}``), score each dataset's files with the
    fold ensembles that never saw them, save the checkpoint with its provenance; returns the
    provenance."""
    everything = [record for found in records.values() for record in found]
    start = time.perf_counter()
    full, folds, fold_of, losses = cross_fit(everything, epochs, seed, workers=workers,
                                             scheduler=scheduler)
    minutes = round((time.perf_counter() - start) / 60, 2)
    out_of_fold = [folds[fold] for fold in fold_of]
    validation, first = {}, 0
    for name, found in records.items():
        validation[name] = {"files": len(found),
                            **evaluate(out_of_fold[first:first + len(found)], found)}
        first += len(found)
    state = bar_model.checkpoint(full, folds, {r["key"]: f for r, f in zip(everything, fold_of)},
                                 bar_signal.CUES, bar_signal.cue_versions(),
                                 bar_signal.cue_libraries())
    provenance = {"model": "BarGRU", "cues": list(bar_signal.CUES), "hidden": bar_model.HIDDEN,
                  "seed": seed, "seeds": SEEDS, "epochs": epochs, "folds": FOLDS, "commit": git_commit(),
                  "training_files": len(everything), "training_minutes": minutes,
                  "final_loss": round(losses[0][-1], 5),
                  "command": "make bar-model (scripts/training/train_bar_model.py)",
                  "validation": validation}
    bar_model.save(state, out, provenance)
    return provenance
