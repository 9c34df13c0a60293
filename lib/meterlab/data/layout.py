"""How a dataset folder is laid out on disk, for every dataset this project builds.

``manifest.csv`` (written last and atomically: its absence marks the dataset unfinished),
the audio under ``audio/``, and beside each audio file's folder an ``annotations/`` folder
with a ``.beats`` file per clip: ``time<TAB>beat-in-bar`` per line, the format madmom,
Beat This! and Sonic Visualiser read.
"""
import csv
from pathlib import Path

import numpy as np

from ..engine.atomic import atomic_open

MANIFEST_NAME = "manifest.csv"
AUDIO_DIR = "audio"
ANNOTATION_DIR = "annotations"


def start_dataset(out_dir):
    """Make the audio and annotation folders and drop the old manifest; returns its path."""
    out_dir = Path(out_dir)
    manifest = out_dir / MANIFEST_NAME
    manifest.unlink(missing_ok=True)
    for sub in (AUDIO_DIR, ANNOTATION_DIR):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    return manifest


def write_manifest(path, columns, rows):
    """Write the manifest atomically: ``columns`` as its header, then ``rows``."""
    with atomic_open(path, "w") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        writer.writerows(rows)


def write_beats(path, times, positions):
    """Write a ``.beats`` file: one ``time<TAB>position`` line per beat."""
    with atomic_open(path, "w") as stream:
        stream.writelines(f"{t:.6f}\t{int(p)}\n" for t, p in zip(times, positions))


def read_beats(path):
    """Read a ``.beats`` file into ``(times, positions)`` arrays."""
    data = np.loadtxt(path, ndmin=2)
    return data[:, 0], data[:, 1].astype(int)


def annotation_path(audio_path):
    """The ``.beats`` file that belongs to a dataset's audio file."""
    audio_path = Path(audio_path)
    return audio_path.parent.parent / ANNOTATION_DIR / (audio_path.stem + ".beats")
