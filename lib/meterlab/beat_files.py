"""A prediction's beats in the files other tools open: ``.beats``, JAMS and a picture.

``.beats`` is ``time<TAB>beat-in-bar`` per line, what madmom, Beat This! and Sonic
Visualiser read (:func:`meterlab.data.layout.write_beats`); JAMS carries the same beats as
a ``beat_position`` annotation (bar number, position, beats per bar); the PNG shows the
activations the beats were decoded from (:func:`meterlab.bars.activations`) with the
decoded beats and downbeats over them, and the probability of every meter, so an answer
can be checked by eye as well as by ear.
"""
import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import bars, config
from .data.layout import write_beats
from .engine.atomic import atomic_open
from .engine.cache import Cache
from .engine.file_analysis import FileAnalysis, Unavailable
from .engine.audio import AudioError

#: JAMS ``beat_position`` needs the beat's note value; the beat is counted as a quarter.
BEAT_UNITS = 4


def output_stems(paths):
    """A file name stem per path: the audio's own stem, with a short digest of the full
    path added where two inputs in different folders share one."""
    stems = [Path(path).stem for path in paths]
    counts = Counter(stems)
    return [stem if counts[stem] == 1 else
            f"{stem}-{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
            for stem, path in zip(stems, paths)]


def write_beats_file(answer, path):
    """``answer``'s beats (a prediction record) as a ``.beats`` file at ``path``."""
    beats = np.asarray(answer["beats"], dtype=float).reshape(-1, 2)
    write_beats(path, beats[:, 0], beats[:, 1])


def jams_document(answer, duration_s):
    """A ``jams.JAMS`` holding ``answer``'s beats as one ``beat_position`` annotation
    (bars numbered from 0, the bar before the first downbeat included)."""
    import jams

    document = jams.JAMS()
    document.file_metadata.duration = float(duration_s)
    document.file_metadata.title = Path(answer["path"]).name
    annotation = jams.Annotation(namespace="beat_position", duration=float(duration_s))
    annotation.annotation_metadata.annotation_tools = "meterlab"
    annotation.sandbox.update(meter=answer["predicted"], tempo=answer["tempo"],
                              grouping=answer["grouping"])
    measure = 0
    for index, (time, position) in enumerate(answer["beats"]):
        if position == 1 and index > 0:
            measure += 1
        annotation.append(time=float(time), duration=0.0, confidence=None,
                          value={"position": int(position), "measure": measure,
                                 "num_beats": int(answer["predicted"]),
                                 "beat_units": BEAT_UNITS})
    document.annotations.append(annotation)
    return document


def write_jams(answer, duration_s, path):
    """:func:`jams_document` of ``answer``, validated and written atomically to ``path``."""
    with atomic_open(path, "w") as stream:
        jams_document(answer, duration_s).save(stream)


def plot_answer(answer, activations, fps, path):
    """One PNG: activations with beats and downbeats over them, and every meter's
    probability (the chosen one highlighted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = np.arange(len(activations)) / fps
    figure, (curves, probability) = plt.subplots(
        1, 2, figsize=(12, 3.2), gridspec_kw={"width_ratios": [5, 1]}, constrained_layout=True)
    curves.plot(times, activations[:, 0], lw=0.8, color="tab:blue", label="beat activation")
    curves.plot(times, activations[:, 1], lw=0.8, color="tab:red", label="downbeat activation")
    beat_times = [time for time, _ in answer["beats"]]
    curves.vlines(beat_times, 0, 1, color="0.6", lw=0.6, label="beats")
    curves.vlines(answer["downbeats"], 0, 1, color="black", lw=1.4, label="downbeats")
    grouping = "+".join(map(str, answer["grouping"])) if answer["grouping"] else ""
    tempo = f", {answer['tempo']:.0f} bpm" if answer["tempo"] else ""
    curves.set(xlim=(0, times[-1] if len(times) else 1), ylim=(0, 1.02), xlabel="time (s)",
               title=f"{Path(answer['path']).name}: {answer['predicted']} beats per bar"
                     f"{' (' + grouping + ')' if grouping else ''}{tempo}")
    curves.legend(loc="upper right", fontsize="small", ncol=4)
    meters = list(answer["probabilities"])
    probability.bar([str(m) for m in meters], [answer["probabilities"][m] for m in meters],
                    color=["tab:red" if m == answer["predicted"] else "0.6" for m in meters])
    probability.set(ylim=(0, 1), xlabel="beats per bar", title="probability")
    with atomic_open(path, "wb") as stream:
        figure.savefig(stream, format="png", dpi=100)
    plt.close(figure)


def write_beat_files(records, beats_dir=None, jams_dir=None, plot_dir=None,
                     cache_root=config.CACHE_DIR, progress=True):
    """Write the ``.beats``, ``.jams`` and ``.png`` of every predicted record into the
    folders given (``None``: not written); returns how many files were written."""
    folders = [Path(d) for d in (beats_dir, jams_dir, plot_dir) if d is not None]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    answered = [answer for answer in records if answer["predicted"] is not None]
    written = 0
    for answer, stem in tqdm(list(zip(answered, output_stems([a["path"] for a in answered]))),
                             desc="beat files", unit="file", disable=not progress or not folders):
        if beats_dir is not None:
            write_beats_file(answer, Path(beats_dir) / f"{stem}.beats")
            written += 1
        if jams_dir is None and plot_dir is None:
            continue
        try:
            activations, fps = bars.activations(FileAnalysis(answer["path"], Cache(cache_root)))
        except (AudioError, Unavailable):
            continue
        if jams_dir is not None:
            write_jams(answer, len(activations) / fps, Path(jams_dir) / f"{stem}.jams")
            written += 1
        if plot_dir is not None:
            plot_answer(answer, activations, fps, Path(plot_dir) / f"{stem}.png")
            written += 1
    return written
