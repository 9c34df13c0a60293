"""The embedded default dataset: synthetic multi-instrument music with known meter.

:func:`build_corpus` composes (:mod:`.composer`) and renders (:mod:`.render`) clips in
every requested meter and writes, under ``out_dir``::

    audio/<clip_id>.flac          mono, PCM_16, SAMPLE_RATE
    annotations/<clip_id>.beats   "time<TAB>position_in_bar" per beat (1 = downbeat)
    corpus.json                   generator parameters and per-clip choices
    manifest.csv                  path,meter,split (written last, atomically)

Each clip's RNG is derived from ``(seed, meter, index)`` alone, so a clip is the same
whatever the worker count, the other classes or the number of clips per class.
"""
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf

from ....config import DEFAULT_CLASSES, MIN_DURATION_S, SAMPLE_RATE
from ....engine.atomic import write_json
from ....engine.run import map_files
from ...datasets import SPLITS
from ...layout import ANNOTATION_DIR, AUDIO_DIR, start_dataset, write_beats, write_manifest
from .composer import compose
from ..render import SOUNDFONT_PATH, render

PARAMS_NAME = "corpus.json"
MANIFEST_COLUMNS = ("path", "meter", "split")
#: Share of each class held out for validation and for test.
EVAL_FRACTION = 0.2


class CorpusSize(NamedTuple):
    """How many clips per class, and how long each is."""

    n_per_class: int
    duration_s: float


#: ``default``: the corpus the project trains on; ``small``: 2 clips per class per split,
#: for tests and smoke runs.
SIZES = {
    "default": CorpusSize(n_per_class=120, duration_s=20.0),
    "small": CorpusSize(n_per_class=6, duration_s=6.0),
}


def clip_id(meter, index):
    """Stable clip name, e.g. ``m5_0012``."""
    return f"m{meter}_{index:04d}"


def split_counts(n_per_class):
    """``{split: count}`` for one class: about 60/20/20, at least one clip per split.

    Small classes get equal thirds up to two clips per held-out split, so the ``small``
    size (6 per class) gives 2/2/2.
    """
    if n_per_class < len(SPLITS):
        raise ValueError(f"need at least {len(SPLITS)} clips per class to fill every split, got {n_per_class}")
    n_eval = max(min(2, n_per_class // 3), round(EVAL_FRACTION * n_per_class))
    return {"train": n_per_class - 2 * n_eval, "val": n_eval, "test": n_eval}


def split_of(index, n_per_class):
    """Split of clip ``index`` of a class: the first clips train, then val, then test."""
    counts = split_counts(n_per_class)
    bounds = np.cumsum([counts[s] for s in SPLITS])
    return SPLITS[int(np.searchsorted(bounds, index, side="right"))]


def clip_rng(seed, meter, index):
    """The clip's own generator, independent of every other clip's."""
    return np.random.default_rng(np.random.SeedSequence([seed, meter, index]))


def build_corpus(out_dir, n_per_class, duration_s, classes=DEFAULT_CLASSES, seed=0, workers=1,
                 soundfonts=(SOUNDFONT_PATH,), progress=False, scheduler=None):
    """Generate the corpus and return the path of its manifest.

    Parameters
    ----------
    out_dir : str or Path
        Created if missing. A previous manifest is removed first, so an interrupted
        build never leaves a manifest that points at a mix of old and new clips.
    n_per_class : int
        Clips per meter (at least 3, one per split).
    duration_s : float
        Seconds per clip, at least ``MIN_DURATION_S``.
    classes : sequence of int
        Meters (beats per bar) to generate.
    seed : int
    workers : int
        Processes (:func:`meterlab.engine.run.map_files`); the output does not depend
        on it.
    soundfonts : sequence of str
        General-MIDI SoundFonts each clip draws the one it is rendered with from.
    progress : bool
        Show a progress bar.
    scheduler : str or None
        A Dask scheduler to run the clips on instead (:mod:`meterlab.engine.cluster`).

    Returns
    -------
    Path
    """
    if duration_s < MIN_DURATION_S:
        raise ValueError(f"clips shorter than {MIN_DURATION_S} s cannot hold two bars of 7, got {duration_s}")
    split_counts(n_per_class)
    out_dir = Path(out_dir)
    manifest = start_dataset(out_dir)
    classes = sorted({int(m) for m in classes})
    soundfonts = tuple(str(path) for path in soundfonts)
    jobs = [(str(out_dir), m, i, n_per_class, seed, float(duration_s), soundfonts)
            for m in classes for i in range(n_per_class)]
    results = list(map_files(_build_clip, jobs, workers, progress, "composing",
                             scheduler=scheduler))
    params = {
        "seed": seed, "n_per_class": n_per_class, "duration_s": float(duration_s), "classes": classes,
        "sample_rate": SAMPLE_RATE, "split_counts": split_counts(n_per_class),
        "soundfonts": list(soundfonts),
        "clips": {cid: info for _, cid, info in results},
    }
    write_json(out_dir / PARAMS_NAME, params)
    write_manifest(manifest, MANIFEST_COLUMNS, sorted(row for row, _, _ in results))
    return manifest


def _build_clip(job):
    """Compose, render and write one clip; return its manifest row, id and choices.

    Module-level so that ``multiprocessing`` can pickle it.
    """
    out_dir, meter, index, n_per_class, seed, duration_s, soundfonts = job
    cid = clip_id(meter, index)
    piece = compose(meter, duration_s, clip_rng(seed, meter, index), soundfonts)
    audio = render(piece.midi, duration_s, soundfont=piece.soundfont)
    rel_audio = f"{AUDIO_DIR}/{cid}.flac"
    sf.write(os.path.join(out_dir, rel_audio), audio, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    write_beats(os.path.join(out_dir, ANNOTATION_DIR, f"{cid}.beats"), piece.beats, piece.positions)
    return (rel_audio, meter, split_of(index, n_per_class)), cid, piece.info
