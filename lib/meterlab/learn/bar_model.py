"""The bar model's network: which of a file's tracked beats are downbeats, read beat by beat.

After madmom's ``RNNBarProcessor`` (Krebs, Böck, Dorfer and Widmer, ISMIR 2016, which reads
beat-synchronous features), a small bidirectional GRU reads a few cues once per tracked
beat (:mod:`meterlab.signals.bar_model` computes them) and gives each beat's probability
of being a downbeat. A bar length and phase are then as likely as the beats'
probabilities make them (:func:`bar_log_likelihoods`): the meter signal compares the
lengths, the beat numbering picks the most likely.

A checkpoint is cross-fitted (:mod:`meterlab.learn.cross_fitting`): its scores feed the
arbiter, which trains on the bar model's own training files.
"""
from pathlib import Path

import numpy as np
import torch

from ..engine.atomic import write_json
from .mlp import CheckpointError, load_checkpoint, save_checkpoint
from .shipped import MODELS_DIR

FORMAT = 2
#: The committed checkpoint (``make bar-model`` rewrites it).
CHECKPOINT = MODELS_DIR / "bar_model" / "bar_model.pt"
#: Bar lengths (beats) a clip's bar is chosen among, as :mod:`meterlab.tracker.decode`'s.
BAR_LENGTHS = (2, 3, 4, 5, 7)
HIDDEN = 24
#: Probabilities are kept this far from 0 and 1 in the likelihood (one confident beat
#: must not veto a bar length).
FLOOR = 1e-4


class BarGRU(torch.nn.Module):
    """Two bidirectional GRU layers over the beats, one downbeat logit per beat."""

    def __init__(self, n_cues, hidden=HIDDEN):
        super().__init__()
        self.gru = torch.nn.GRU(n_cues, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.out = torch.nn.Linear(2 * hidden, 1)

    def forward(self, cues):
        """(batch, beats, cues) -> (batch, beats) logits."""
        return self.out(self.gru(cues)[0])[..., 0]


def probabilities(models, cues):
    """Each beat's downbeat probability, (beats,): the mean over ``models`` (an ensemble of
    seeds, which steadies what one seed's training leaves to chance)."""
    x = torch.from_numpy(np.asarray(cues, np.float32))[None]
    with torch.no_grad():
        return np.mean([torch.sigmoid(model(x))[0].numpy() for model in models], axis=0)


def bar_log_likelihoods(probs, lengths=BAR_LENGTHS):
    """``{length: (log-likelihood, phase)}``: the beats' probabilities under the best phase
    of each bar length (downbeats every ``length``-th beat from ``phase``), summed over
    the beats, so lengths compare on the same beats."""
    probs = np.clip(np.asarray(probs, np.float64), FLOOR, 1 - FLOOR)
    down, other = np.log(probs), np.log1p(-probs)
    gain, base = down - other, other.sum()
    return {length: max((base + gain[phase::length].sum(), phase)
                        for phase in range(min(length, len(probs))))
            for length in lengths}


def choose_bar(probs, lengths=BAR_LENGTHS):
    """``(length, phase)`` of the most likely bar (:func:`bar_log_likelihoods`)."""
    likelihoods = bar_log_likelihoods(probs, lengths)
    length = max(likelihoods, key=lambda each: likelihoods[each][0])
    return length, likelihoods[length][1]


def checkpoint(full, folds, fold_of, cues, analyses, libraries):
    """A checkpoint dict: the ``full`` ensemble and one ensemble per fold (lists of
    models), ``fold_of`` (audio key -> fold), the ``cues`` they read, and the ``analyses``
    versions those were computed from under ``libraries`` (``{name: version}``)."""
    return {"format": FORMAT, "cues": list(cues), "hidden": full[0].gru.hidden_size,
            "analyses": dict(analyses), "libraries": dict(libraries),
            "full": [model.state_dict() for model in full],
            "folds": [[model.state_dict() for model in fold] for fold in folds],
            "fold_of": {str(key): int(fold) for key, fold in fold_of.items()}}


def save(state, path, provenance):
    """The checkpoint (:func:`checkpoint`), and ``provenance`` as JSON beside it, each
    written atomically."""
    path = Path(path)
    save_checkpoint(state, path)
    write_json(path.with_suffix(".json"), provenance)


def load(path, cues):
    """The checkpoint at ``path`` with its models built (eval mode); :class:`CheckpointError`
    naming the file when it is missing, unreadable, not a bar-model checkpoint or trained
    on other ``cues``."""
    state = load_checkpoint(path, "bar model", "make bar-model")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a bar-model checkpoint of format {FORMAT}")
    if state["cues"] != list(cues):
        raise CheckpointError(f"{path}: trained on cues {state['cues']}, this code reads {list(cues)}")

    def built(ensemble):
        models = [BarGRU(len(cues), state["hidden"]) for _ in ensemble]
        for model, weights in zip(models, ensemble):
            model.load_state_dict(weights)
        return [model.eval() for model in models]

    return {**state, "full": built(state["full"]), "folds": [built(fold) for fold in state["folds"]]}
