"""A music21 work as a :class:`meterlab.data.build.performance.Score`: its notes in beats and its bars.

The beat is the time signature's denominator (a quarter in 3/4, an eighth in 7/8, a half
in 2/2). Repeats are expanded where music21 can; ties are merged. Bars are checked: every
full measure must start on the bar grid of the first one, and the score is cut before the
first that does not (a mid-piece irregularity would make the beat annotations wrong).

Parsing is the slow part of a build, so each work's result is cached as ``.npz`` under the
cache folder given (``data/cache/scores/...``); music21 is told not to write its own
pickles anywhere else.
"""
import io
from pathlib import Path

import numpy as np

from ....engine.atomic import atomic_open
from ..performance import Score
from .catalogue import meter_class

#: Bump when what is extracted changes, so cached extractions are not reused.
EXTRACT_VERSION = 1


class ScoreError(Exception):
    """A work that cannot be turned into a usable score (named, with the cause)."""


def cached_score(work, cache_dir):
    """The work's :class:`Score`, from the cache or parsed (and then cached)."""
    import music21

    folder = Path(cache_dir) / f"music21-{music21.__version__}-v{EXTRACT_VERSION}"
    path = folder / (work.key.replace("/", "__").replace("#", "-") + ".npz")
    if path.is_file():
        with np.load(path) as data:
            return _from_arrays(data)
    score = parse_score(work)
    buffer = io.BytesIO()
    np.savez(buffer, onsets=score.onsets, durations=score.durations, pitches=score.pitches,
             parts=score.parts, fermatas=score.fermatas,
             grid=np.array([score.meter, score.downbeat, score.end]))
    with atomic_open(path, "wb") as stream:
        stream.write(buffer.getvalue())
    return score


def _from_arrays(data):
    meter, downbeat, end = data["grid"]
    return Score(data["onsets"], data["durations"], data["pitches"], data["parts"], int(meter),
                 float(downbeat), float(end), data["fermatas"])


def parse_score(work):
    """Parse ``work`` with music21 and extract its notes and bar grid."""
    from music21 import corpus, converter, stream

    try:
        parsed = converter.parse(corpus.getWork(work.path), number=work.number,
                                 forceSource=True, storePickle=False)
    except Exception as error:  # music21 raises many kinds; all mean "cannot use this file"
        raise ScoreError(f"{work.key}: music21 cannot parse it ({type(error).__name__}: {error})") from None
    if isinstance(parsed, stream.Opus):
        parsed = parsed.scores[0]
    try:
        parsed = parsed.expandRepeats()
    except Exception:  # unbalanced repeat marks: keep the score as written
        pass
    return score_from_stream(parsed, work.time_signature, work.key)


def score_from_stream(parsed, time_signature, name="score"):
    """Notes (in beats) and bar grid of a music21 stream in one ``time_signature``."""
    from music21 import expressions

    numerator, denominator = (int(x) for x in time_signature.split("/"))
    beat_ql = 4.0 / denominator
    parts = list(parsed.parts) or [parsed]
    grid_end, downbeat = _bar_grid(parts[0], numerator * beat_ql)
    voices = []
    for part in parts:
        notes = []
        for note in part.stripTies().flatten().notes:
            length = float(note.duration.quarterLength)
            onset = float(note.getOffsetInHierarchy(part))
            if length <= 0 or onset >= grid_end or not hasattr(note, "pitches"):
                continue
            fermata = any(isinstance(e, expressions.Fermata) for e in note.expressions)
            notes.extend((onset, length, p.midi, fermata) for p in note.pitches)
        if notes:
            voices.append(np.array(notes, dtype=float))
    if not voices or downbeat is None:
        raise ScoreError(f"{name}: no notes, or no full bar to anchor the beats")
    voices.sort(key=lambda v: v[:, 2].mean())
    table = np.concatenate(voices)
    part_ids = np.concatenate([np.full(len(v), i) for i, v in enumerate(voices)])
    end = min(grid_end, float((table[:, 0] + table[:, 1]).max()))
    return Score(onsets=table[:, 0] / beat_ql, durations=table[:, 1] / beat_ql,
                 pitches=table[:, 2].astype(int), parts=part_ids, meter=meter_class(time_signature),
                 downbeat=downbeat / beat_ql, end=end / beat_ql, fermatas=table[:, 3].astype(bool))


def _bar_grid(part, bar_ql):
    """``(end, first downbeat)`` in quarter lengths: the music up to the first full measure
    off the bar grid (or all of it), and the offset of the first full measure."""
    downbeat = None
    for measure in part.getElementsByClass("Measure"):
        offset, length = float(measure.offset), float(measure.duration.quarterLength)
        if abs(length - bar_ql) > 1e-6:
            continue
        if downbeat is None:
            downbeat = offset
        elif abs(((offset - downbeat) / bar_ql) - round((offset - downbeat) / bar_ql)) > 1e-6:
            return offset, downbeat
    return float(part.highestTime), downbeat
