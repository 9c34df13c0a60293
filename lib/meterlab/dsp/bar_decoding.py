"""Beats and downbeats for one chosen bar length, and how the beats of a 5 or a 7 group.

Once the arbiter has chosen the meter, the beats a user can check are those of madmom's
bar-pointer model decoded with that bar length alone
(``DBNDownBeatTrackingProcessor(beats_per_bar=[n])``); unlike the per-meter scores of
:mod:`meterlab.dsp.meter_decoding` this needs the path, so it runs madmom's own Viterbi,
window by window (:mod:`meterlab.dsp.windows`) to bound its frames x states back-pointers.

An odd bar is heard as groups of two and three beats (5 = 3+2 or 2+3; 7 = 2+2+3, 2+3+2
or 3+2+2). The bar starts are known once decoded; what tells the groupings apart is
which of the other beats start a group. Music marks a group's start as it marks a bar's,
more weakly: a new bass note, a kick, a chord, a louder attack. So an accent curve is read
at every beat, averaged per position in the bar over all bars, and the grouping whose
group starts stand out most from the bar's other beats is chosen.
"""
from itertools import product

import numpy as np

from ..thirdparty import compat
from .windows import windowed_events

#: Meters whose grouping is reported; 3 and 4 have one grouping each (3; 2+2).
GROUPED_METERS = (5, 7)
#: Group lengths an odd bar is built from.
GROUP_LENGTHS = (2, 3)
#: Seconds either side of a beat in which its accent is looked for (the curve's peak
#: can lead or lag the decoded beat by a frame or two).
ACCENT_WINDOW_S = 0.05


def decode_bars(activations, fps, beats_per_bar):
    """Beat times and positions in the bar, decoded with one bar length.

    Parameters
    ----------
    activations, fps
        madmom's beat and downbeat activations and their frame rate, as
        :func:`meterlab.dsp.meter_decoding.viterbi_log_probs` takes them.
    beats_per_bar : int

    Returns
    -------
    np.ndarray, shape (beats, 2)
        ``[time_s, position]`` rows, position 1 being the downbeat.
    """
    compat.ensure()
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor

    tracker = DBNDownBeatTrackingProcessor(beats_per_bar=[int(beats_per_bar)], fps=fps)
    activations = np.asarray(activations, dtype=np.float32)

    def window(start_s, stop_s):
        first = int(round(start_s * fps))
        events = np.asarray(tracker(activations[first:int(round(stop_s * fps))]))
        return events.reshape(-1, 2) + [first / fps, 0.0]

    events = windowed_events(window, len(activations) / fps).reshape(-1, 2)
    return np.column_stack([events[:, 0], events[:, 1].astype(int)])


def groupings(beats_per_bar):
    """Every ordered split of the bar into groups of two and three beats.

    >>> groupings(7)
    [(2, 2, 3), (2, 3, 2), (3, 2, 2)]
    """
    found = []
    for count in range(1, beats_per_bar // min(GROUP_LENGTHS) + 1):
        found += [parts for parts in product(GROUP_LENGTHS, repeat=count)
                  if sum(parts) == beats_per_bar]
    return sorted(found)


def beat_accents(times, curve, fps, window_s=ACCENT_WINDOW_S):
    """The peak of ``curve`` (one value per frame at ``fps``) within ``window_s`` of each
    beat time; 0 for a beat past the curve's end."""
    curve = np.asarray(curve, dtype=np.float64)
    half = max(int(round(window_s * fps)), 0)
    centres = np.round(np.asarray(times) * fps).astype(int)
    return np.array([curve[max(c - half, 0):c + half + 1].max()
                     if 0 <= c < len(curve) else 0.0 for c in centres])


def position_profile(positions, accents, beats_per_bar):
    """Mean accent at each position of the bar (index 0 = position 1); NaN where no beat
    fell."""
    positions, accents = np.asarray(positions, dtype=int), np.asarray(accents, dtype=float)
    return np.array([accents[positions == p].mean() if np.any(positions == p) else np.nan
                     for p in range(1, beats_per_bar + 1)])


def group_starts(grouping):
    """0-based positions in the bar at which each group after the first starts."""
    return tuple(int(s) for s in np.cumsum(grouping)[:-1])


def choose_grouping(profile):
    """The grouping of ``len(profile)`` beats whose group starts (after the downbeat)
    are most accented relative to the bar's other non-downbeat beats; ``None`` when the
    profile cannot tell (fewer than two groupings, or a position never seen).

    Parameters
    ----------
    profile : np.ndarray
        Mean accent per position in the bar (:func:`position_profile`).
    """
    profile = np.asarray(profile, dtype=float)
    candidates = groupings(len(profile))
    if len(candidates) < 2 or not np.all(np.isfinite(profile)):
        return None
    inner = np.arange(1, len(profile))

    def contrast(grouping):
        starts = np.isin(inner, group_starts(grouping))
        return profile[inner[starts]].mean() - profile[inner[~starts]].mean()

    return max(candidates, key=contrast)


def bar_grouping(beats, curve, fps, beats_per_bar):
    """The grouping of a bar of ``beats_per_bar`` read off ``curve`` at the decoded
    ``beats`` (rows ``[time_s, position]``); ``None`` outside :data:`GROUPED_METERS` or
    when the accents cannot tell."""
    if beats_per_bar not in GROUPED_METERS or len(beats) == 0:
        return None
    beats = np.asarray(beats)
    accents = beat_accents(beats[:, 0], curve, fps)
    return choose_grouping(position_profile(beats[:, 1], accents, beats_per_bar))
