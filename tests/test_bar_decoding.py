"""Beats decoded with the predicted bar length, and the grouping of a 5 or a 7."""
import numpy as np
import pytest

from meterlab.dsp import bar_decoding
from meterlab.dsp.bar_decoding import (bar_grouping, choose_grouping, decode_bars, groupings,
                                       position_profile)

FPS = 100


def activations(duration_s, period_s, beats_per_bar, first_position=1):
    """madmom-like activations: a beat peak every ``period_s``, on the downbeat column at
    position 1; returns them with the true ``[time, position]`` rows."""
    frames = int(duration_s * FPS)
    values = np.full((frames, 2), 0.005, dtype=np.float32)
    times = np.arange(0.3, duration_s - 0.3, period_s)
    positions = (np.arange(len(times)) + first_position - 1) % beats_per_bar + 1
    for time, position in zip(times, positions):
        frame = int(round(time * FPS))
        values[frame, 1 if position == 1 else 0] = 0.9
        values[frame - 1:frame + 2:2, 1 if position == 1 else 0] = 0.3
    return values, np.column_stack([times, positions])


@pytest.mark.parametrize("meter, first_position", [(3, 1), (4, 3), (5, 2), (7, 6)])
def test_decoding_finds_the_bars_and_positions(meter, first_position):
    values, truth = activations(20.0, 0.5, meter, first_position)
    beats = decode_bars(values, FPS, meter)
    assert len(beats) == len(truth)
    assert np.abs(beats[:, 0] - truth[:, 0]).max() <= 1.5 / FPS
    assert beats[:, 1].tolist() == truth[:, 1].tolist()


def test_long_files_are_decoded_in_windows_without_losing_the_bar():
    values, truth = activations(200.0, 0.45, 7, 4)
    beats = decode_bars(values, FPS, 7)
    assert len(beats) == len(truth)
    assert beats[:, 1].tolist() == truth[:, 1].tolist()


def test_decoding_with_another_bar_length_gives_that_many_positions():
    values, _ = activations(20.0, 0.5, 4)
    assert set(decode_bars(values, FPS, 3)[:, 1].astype(int)) == {1, 2, 3}


def test_silence_gives_no_beats():
    assert decode_bars(np.zeros((1500, 2), np.float32), FPS, 5).shape == (0, 2)


def test_groupings_are_the_orders_of_twos_and_threes():
    assert groupings(5) == [(2, 3), (3, 2)]
    assert groupings(7) == [(2, 2, 3), (2, 3, 2), (3, 2, 2)]
    assert groupings(4) == [(2, 2)]


def accented(grouping, bars=8, period_s=0.4, noise=0.0, seed=0):
    """Beats of ``bars`` bars and a curve loud on the downbeat, less at the other group
    starts, soft elsewhere (with optional noise)."""
    rng = np.random.default_rng(seed)
    meter = sum(grouping)
    starts = set(np.cumsum((0,) + tuple(grouping[:-1])).tolist())
    count = bars * meter
    times = 0.2 + np.arange(count) * period_s
    positions = np.arange(count) % meter + 1
    curve = np.zeros(int((times[-1] + 1) * FPS))
    for time, position in zip(times, positions):
        level = 1.0 if position == 1 else 0.6 if position - 1 in starts else 0.2
        curve[int(round(time * FPS))] = level + noise * rng.standard_normal()
    return np.column_stack([times, positions]), curve


@pytest.mark.parametrize("grouping", [(3, 2), (2, 3), (2, 2, 3), (2, 3, 2), (3, 2, 2)])
def test_grouping_is_read_from_accents_at_group_starts(grouping):
    beats, curve = accented(grouping, noise=0.15)
    assert bar_grouping(beats, curve, FPS, sum(grouping)) == grouping


def test_grouping_is_reported_for_five_and_seven_only():
    beats, curve = accented((2, 2))
    assert bar_grouping(beats, curve, FPS, 4) is None
    assert bar_decoding.GROUPED_METERS == (5, 7)


def test_a_position_never_seen_gives_no_grouping():
    assert np.isnan(position_profile([1, 2, 3, 4], [1, 0.2, 0.5, 0.2], 5)[4])
    assert choose_grouping([1.0, 0.2, 0.5, 0.2, np.nan]) is None
