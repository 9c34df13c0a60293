"""Windowed analysis of long files joins into what one pass over the file gives."""
import numpy as np
import pytest

from meterlab.dsp import windows


@pytest.fixture
def short_windows(monkeypatch):
    monkeypatch.setattr(windows, "CORE_S", 2.0)
    monkeypatch.setattr(windows, "MARGIN_S", 0.5)


def _frame_energy(y, hop=100):
    """Centred frames like librosa's: frame i covers samples around i * hop."""
    padded = np.pad(y, hop)
    return np.array([np.sum(padded[i * hop:i * hop + 2 * hop] ** 2)
                     for i in range(len(y) // hop + 1)])


def test_frames_join_seamlessly(short_windows):
    y = np.random.default_rng(0).standard_normal(10_050)
    whole = _frame_energy(y)
    joined = windows.windowed_frames(_frame_energy, y, hop=100, sample_rate=1000)
    assert joined.shape == whole.shape
    np.testing.assert_allclose(joined, whole)


def test_mean_over_windows_is_the_mean_of_the_joined_frames(short_windows):
    y = np.random.default_rng(1).standard_normal(10_050)
    joined = windows.windowed_frames(_frame_energy, y, hop=100, sample_rate=1000)
    seen = []

    def frame_energy(segment):
        seen.append(len(segment))
        return _frame_energy(segment)

    np.testing.assert_allclose(windows.windowed_mean(frame_energy, y, 100, 1000),
                               joined.mean(axis=0))
    assert len(seen) == 5 and max(seen) <= 3_000       # one window's frames at a time


def test_short_input_is_one_window(short_windows):
    calls = []
    y = np.ones(2_500)
    windows.windowed_frames(lambda s: calls.append(len(s)) or _frame_energy(s), y, 100, 1000)
    assert calls == [2_500]


def test_events_counted_once(short_windows):
    grid = np.arange(0.0, 11.3, 0.25)
    calls = []

    def events(start, stop):
        calls.append((start, stop))
        inside = grid[(grid >= start) & (grid <= stop)]
        return np.column_stack([inside, inside * 2])

    rows = windows.windowed_events(events, 11.3)
    np.testing.assert_array_equal(rows[:, 0], grid)
    np.testing.assert_array_equal(rows[:, 1], grid * 2)
    assert len(calls) > 3 and max(stop - start for start, stop in calls) <= 3.0 + 1e-9
