"""A simple bass-and-chords accompaniment for a tune that is a melody alone.

Folk tunes (Essen, O'Neill, Ryan's, Aird's) are melodies; played as they are heard, they
usually come with a bass and chords. The key is estimated from the melody (Krumhansl-
Kessler profiles), each bar (or half bar) gets the diatonic triad that best covers the
melody notes sounding in it, and the chords are played in one of a few common patterns.
"""
import numpy as np

from ..performance import Score

#: Krumhansl-Kessler key profiles (major, minor), from C.
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
#: Diatonic triads as pitch classes above the tonic, with a prior favouring I, V, IV.
MAJOR_TRIADS = {(0, 4, 7): 0.3, (7, 11, 2): 0.2, (5, 9, 0): 0.2, (9, 0, 4): 0.1, (2, 5, 9): 0.1}
MINOR_TRIADS = {(0, 3, 7): 0.3, (7, 11, 2): 0.2, (5, 8, 0): 0.2, (3, 7, 10): 0.1, (10, 2, 5): 0.1}
#: How the chords are played: held through the span, on the beats after its first
#: ("oom-pah"), or on every beat.
PATTERNS = ("held", "after_first", "every_beat")
BASS_LOW, CHORD_LOW = 36, 53


def estimate_key(pitches, durations):
    """``(tonic pitch class, is_major)`` best correlated with the duration-weighted
    pitch-class histogram."""
    histogram = np.bincount(np.asarray(pitches) % 12, weights=durations, minlength=12)
    best = max(((np.corrcoef(histogram, np.roll(profile, tonic))[0, 1], tonic, major)
                for tonic in range(12) for major, profile in ((True, MAJOR_PROFILE), (False, MINOR_PROFILE))),
               key=lambda candidate: candidate[0])
    return best[1], best[2]


def accompany(score, rng):
    """``score`` (one part) with a bass part and a chord part added below it."""
    tonic, major = estimate_key(score.pitches, score.durations)
    triads = MAJOR_TRIADS if major else MINOR_TRIADS
    span = score.meter if score.meter % 2 or rng.random() < 0.5 else score.meter // 2
    pattern = str(rng.choice(PATTERNS))
    first = np.floor((score.onsets.min() - score.downbeat) / span) * span + score.downbeat
    notes = []
    for start in np.arange(first, score.end, span):
        chord = _best_triad(score, start, start + span, tonic, triads)
        root = BASS_LOW + (tonic + chord[0] - BASS_LOW) % 12
        notes.append((start, span, root, 0))
        voicing = [CHORD_LOW + (tonic + pc - CHORD_LOW) % 12 for pc in chord]
        for beat, length in _chord_rhythm(pattern, start, span):
            notes.extend((beat, length, pitch, 1) for pitch in voicing)
    onsets, lengths, pitches, parts = (np.array(column) for column in zip(*notes))
    return Score(onsets=np.concatenate([onsets, score.onsets]),
                 durations=np.concatenate([lengths, score.durations]),
                 pitches=np.concatenate([pitches, score.pitches]).astype(int),
                 parts=np.concatenate([parts, np.full(len(score.onsets), 2)]).astype(int),
                 meter=score.meter, downbeat=score.downbeat, end=score.end,
                 fermatas=np.concatenate([np.zeros(len(onsets), bool), score.fermatas]))


def _best_triad(score, start, end, tonic, triads):
    """The triad (pitch classes above the tonic) covering most melody time in [start, end)."""
    inside = (score.onsets < end) & (score.onsets + score.durations > start)
    classes = (score.pitches[inside] - tonic) % 12
    overlap = np.minimum(score.onsets[inside] + score.durations[inside], end) - np.maximum(score.onsets[inside], start)
    return max(triads, key=lambda triad: np.sum(overlap[np.isin(classes, triad)]) + triads[triad])


def _chord_rhythm(pattern, start, span):
    """``(onset, length)`` of the chord strokes in one span."""
    if pattern == "held" or span == 1:
        return [(start, span)]
    first = 1 if pattern == "after_first" else 0
    return [(start + beat, 0.9) for beat in range(first, int(span))]
