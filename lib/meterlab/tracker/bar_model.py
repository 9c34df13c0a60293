"""The bar model: which of the tracked beats are downbeats, read beat by beat.

A downbeat network sees frames, and the DBN that decodes it weighs each frame's
activation; in music without drums the downbeat activation is weak, and the DBN then
counts the wrong bar length or puts the bar line on the half bar. What marks a bar there
is spread over the beats: a new bass note, harmony that moves, a longer note, a louder
attack. So, after madmom's ``RNNBarProcessor`` (Krebs, Böck, Dorfer and Widmer, ISMIR
2016, which reads beat-synchronous features), a small bidirectional GRU reads
:data:`CUES` once per tracked beat and gives each beat's probability of being a
downbeat; a clip's bar length and phase are then those under which its beats are most
likely (:func:`choose_bar`). It reads cached analyses only: it costs no audio pass.
"""
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..dsp.bar_decoding import beat_accents
from ..signals.beat_pattern import beat_means, change
from ..learn.shipped import MODELS_DIR

#: The analyses the cues are read from.
NEEDS = ("beats", "tracker_activations", "madmom_activations", "onset", "chroma", "bass")
#: What is read at each beat, in the order of the network's input.
CUES = ("tracker beat", "tracker downbeat", "madmom downbeat", "onset accent", "loudness",
        "harmony change", "bass change", "harmony change over two beats", "bass energy",
        "beat length")
#: Bar lengths (beats) a clip's bar is chosen among, as :mod:`meterlab.tracker.decode`'s.
BAR_LENGTHS = (2, 3, 4, 5, 7)
CHECKPOINT = MODELS_DIR / "bar_model" / "bar_model.pt"
HIDDEN = 24
#: Probabilities are kept this far from 0 and 1 in the likelihood (one confident beat
#: must not veto a bar length).
FLOOR = 1e-4


def _relative(values):
    """``values`` over their mean magnitude: loudness and accent compare across files."""
    scale = np.mean(np.abs(values))
    return values / scale if scale > 0 else values


def _cosine_change(vectors, lag):
    """Cosine distance of each column from the one ``lag`` before it; 0 for the first."""
    norms = np.linalg.norm(vectors, axis=0)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    return np.concatenate([np.zeros(lag), 1.0 - (unit[:, lag:] * unit[:, :-lag]).sum(axis=0)])


def beat_cues(analysis, times):
    """``(beats, len(CUES))`` float32: :data:`CUES` at each of ``times`` (tracked beats).

    Harmony and bass are averaged over the span from each beat to the next (the last one
    is given the median beat length)."""
    tracker, madmom = analysis["tracker_activations"], analysis["madmom_activations"]
    onset, chroma, bass = analysis["onset"], analysis["chroma"], analysis["bass"]
    period = np.median(np.diff(times))
    edges = np.append(times, times[-1] + period)
    harmony = beat_means(chroma["chroma"], edges * float(chroma["fps"]))
    bass_line = beat_means(bass["bass"], edges * float(bass["fps"]))
    cues = [beat_accents(times, tracker["activations"][:, 0], float(tracker["fps"])),
            beat_accents(times, tracker["activations"][:, 1], float(tracker["fps"])),
            beat_accents(times, madmom["activations"][:, 1], float(madmom["fps"])),
            _relative(beat_accents(times, onset["envelope"], float(onset["fps"]))),
            _relative(beat_accents(times, onset["rms"], float(onset["fps"]))),
            change(harmony), change(bass_line), _cosine_change(harmony, 2),
            _relative(bass_line.sum(axis=0)), np.log(np.diff(edges) / period)]
    return np.stack(cues, axis=1).astype(np.float32)


class BarGRU(torch.nn.Module):
    """Two bidirectional GRU layers over the beats, one downbeat logit per beat."""

    def __init__(self, n_cues=len(CUES), hidden=HIDDEN):
        super().__init__()
        self.gru = torch.nn.GRU(n_cues, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.out = torch.nn.Linear(2 * hidden, 1)

    def forward(self, cues):
        """(batch, beats, cues) -> (batch, beats) logits."""
        return self.out(self.gru(cues)[0])[..., 0]


def probabilities(model, cues):
    """Each beat's downbeat probability, (beats,)."""
    with torch.no_grad():
        return torch.sigmoid(model(torch.from_numpy(np.asarray(cues, np.float32))[None]))[0].numpy()


def choose_bar(probs, lengths=BAR_LENGTHS):
    """``(length, phase)`` whose downbeats (every ``length``-th beat from ``phase``) make
    the beats' probabilities most likely, per beat (so lengths compare)."""
    probs = np.clip(np.asarray(probs, np.float64), FLOOR, 1 - FLOOR)
    down, other = np.log(probs), np.log1p(-probs)
    best = max((other.sum() + (down - other)[phase::length].sum(), length, phase)
               for length in lengths for phase in range(min(length, len(probs))))
    return best[1], best[2]


def numbered_beats(model, analysis, lengths=BAR_LENGTHS):
    """``[time_s, position]`` rows of a file's tracked beats, numbered from the downbeat
    of the bar chosen among ``lengths`` (position 1 the downbeat); none under two beats."""
    times = np.asarray(analysis["beats"]["times"])
    if len(times) < 2:
        return np.zeros((0, 2))
    length, phase = choose_bar(probabilities(model, beat_cues(analysis, times)), lengths)
    return np.column_stack([times, (np.arange(len(times)) - phase) % length + 1])


def downbeat_times(model, analysis, lengths=BAR_LENGTHS):
    """Downbeat times (s) of a file's tracked beats, the bar chosen among ``lengths``."""
    beats = numbered_beats(model, analysis, lengths)
    return beats[beats[:, 1] == 1, 0]


def save(model, path, provenance):
    """The weights, and ``provenance`` as JSON beside them."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "cues": list(CUES), "hidden": model.gru.hidden_size}, path)
    path.with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n")


def shipped():
    """The committed checkpoint, loaded once per process (and again if it is replaced)."""
    stat = CHECKPOINT.stat()
    return _load_once(str(CHECKPOINT), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _load_once(path, modified_ns, size):
    return load(path)


def load(path=CHECKPOINT):
    """The :class:`BarGRU` in eval mode; ``ValueError`` when it was trained on other cues."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if state["cues"] != list(CUES):
        raise ValueError(f"{path}: trained on cues {state['cues']}, this code reads {list(CUES)}")
    model = BarGRU(len(CUES), state["hidden"])
    model.load_state_dict(state["state_dict"])
    return model.eval()
