"""Shared fixtures: small audio files the tests write themselves."""
import numpy as np
import pytest
import soundfile as sf


def click_track(duration=6.0, sample_rate=22050, bpm=120.0, beats_per_bar=4):
    """Clicks on every beat, louder on the downbeat: audio whose meter is known."""
    y = np.zeros(int(duration * sample_rate), dtype=np.float32)
    click = np.sin(2 * np.pi * 1000 * np.arange(400) / sample_rate) * np.hanning(400)
    for index, time in enumerate(np.arange(0, duration - 0.05, 60.0 / bpm)):
        start = int(time * sample_rate)
        gain = 0.9 if index % beats_per_bar == 0 else 0.4
        y[start:start + len(click)] += gain * click[: len(y) - start]
    return y


@pytest.fixture
def write_audio(tmp_path):
    """Write ``y`` to ``tmp_path/name`` and return the path."""

    def write(name, y, sample_rate=22050, **kwargs):
        path = tmp_path / name
        sf.write(path, y, sample_rate, **kwargs)
        return path

    return write
