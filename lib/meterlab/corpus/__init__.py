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
import csv
import json
import os
from multiprocessing import Pool
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf

from meterlab.config import DEFAULT_CLASSES, MIN_DURATION_S, SAMPLE_RATE
from meterlab.corpus.composer import compose
from meterlab.corpus.render import SOUNDFONT_PATH, render

MANIFEST_NAME = "manifest.csv"
PARAMS_NAME = "corpus.json"
AUDIO_DIR = "audio"
ANNOTATION_DIR = "annotations"
MANIFEST_COLUMNS = ("path", "meter", "split")
SPLITS = ("train", "val", "test")
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
                 soundfonts=(SOUNDFONT_PATH,)):
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
        Processes; the output does not depend on it.
    soundfonts : sequence of str
        General-MIDI SoundFonts each clip draws the one it is rendered with from.

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
    if workers > 1:
        with Pool(workers) as pool:
            results = pool.map(_build_clip, jobs, chunksize=max(1, len(jobs) // (4 * workers)))
    else:
        results = [_build_clip(job) for job in jobs]
    params = {
        "seed": seed, "n_per_class": n_per_class, "duration_s": float(duration_s), "classes": classes,
        "sample_rate": SAMPLE_RATE, "split_counts": split_counts(n_per_class),
        "soundfonts": list(soundfonts),
        "clips": {cid: info for _, cid, info in results},
    }
    (out_dir / PARAMS_NAME).write_text(json.dumps(params, indent=1) + "\n")
    _write_manifest(manifest, [row for row, _, _ in results])
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


def start_dataset(out_dir):
    """Make the audio and annotation folders and drop the old manifest, whose absence
    marks the dataset unfinished until the new one is written (last, atomically)."""
    manifest = out_dir / MANIFEST_NAME
    manifest.unlink(missing_ok=True)
    for sub in (AUDIO_DIR, ANNOTATION_DIR):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    return manifest


def _write_manifest(path, rows):
    """Write ``rows`` sorted by path to a temp file, then move it into place."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(MANIFEST_COLUMNS)
        writer.writerows(sorted(rows))
    os.replace(tmp, path)


def write_beats(path, times, positions):
    """Write a ``.beats`` file: one ``time<TAB>position`` line per beat."""
    with open(path, "w") as f:
        f.writelines(f"{t:.6f}\t{int(p)}\n" for t, p in zip(times, positions))


def read_beats(path):
    """Read a ``.beats`` file into ``(times, positions)`` arrays."""
    data = np.loadtxt(path, ndmin=2)
    return data[:, 0], data[:, 1].astype(int)


def annotation_path(audio_path):
    """The ``.beats`` file that belongs to a corpus audio file."""
    audio_path = Path(audio_path)
    return audio_path.parent.parent / ANNOTATION_DIR / (audio_path.stem + ".beats")
