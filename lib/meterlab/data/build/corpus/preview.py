"""A one-page visual check of a built corpus.

One panel per meter: the waveform of that class's first clip with its beats (thin grey)
and downbeats (thick red) on top, so a glance shows that the annotations sit on the
music's onsets and that bars have the labelled number of beats.
"""
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after selecting the headless backend)
import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from ...layout import MANIFEST_NAME, annotation_path, read_beats
from . import PARAMS_NAME
from ...datasets import read_manifest

#: Seconds shown per panel; a few bars even of 7 at a slow tempo.
PREVIEW_SECONDS = 10.0


def write_preview(corpus_dir, png_path, seconds=PREVIEW_SECONDS):
    """Draw the first clip of every meter in ``corpus_dir`` to ``png_path``.

    Returns
    -------
    Path
        ``png_path``.
    """
    corpus_dir = Path(corpus_dir)
    entries = read_manifest(corpus_dir / MANIFEST_NAME).entries
    clips = _clip_info(corpus_dir)
    firsts = {}
    for entry in entries:
        firsts.setdefault(entry.meter, entry)
    meters = sorted(firsts)
    fig, axes = plt.subplots(len(meters), 1, figsize=(13, 2.3 * len(meters)), squeeze=False, sharex=True)
    for ax, meter in zip(axes[:, 0], meters):
        _draw_clip(ax, firsts[meter].path, meter, clips, seconds)
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
    return png_path


def _clip_info(corpus_dir):
    """Per-clip generator choices from ``corpus.json`` (empty if it is missing)."""
    params = corpus_dir / PARAMS_NAME
    return json.loads(params.read_text()).get("clips", {}) if params.exists() else {}


def _draw_clip(ax, audio_path, meter, clips, seconds):
    """Waveform of the clip's first ``seconds`` with beat and downbeat ticks."""
    audio, sr = sf.read(audio_path, dtype="float32")
    audio = audio[: int(seconds * sr)]
    times, positions = read_beats(annotation_path(audio_path))
    shown = times < seconds
    ax.plot(np.arange(len(audio)) / sr, audio, lw=0.3, color="tab:blue")
    ax.vlines(times[shown & (positions != 1)], -1, 1, color="0.45", lw=0.8)
    ax.vlines(times[shown & (positions == 1)], -1, 1, color="tab:red", lw=2.2)
    info = clips.get(Path(audio_path).stem, {})
    detail = (f" | grouping {'+'.join(map(str, info['grouping']))} | {info['tempo_bpm']:.0f} BPM"
              f" | drums {info['drum_mode']}" if info else "")
    ax.set_title(f"{Path(audio_path).stem}: meter {meter}{detail}", fontsize=9, loc="left")
    ax.set_ylim(-1, 1)
    ax.set_xlim(0, seconds)
