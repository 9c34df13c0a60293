"""The madmom signal end to end (downbeat network, then one bar-pointer HMM per meter):
on click tracks whose downbeats are accented it prefers the true meter among the classes
(a multiple of the bar, 6 for 3, may score as high: the arbiter sorts those out)."""
import numpy as np
import pytest
import soundfile as sf

from meterlab import config
from meterlab.engine.scoring import analyse_file

RATE = config.MADMOM_SAMPLE_RATE


def accented_clicks(meter, bpm=120.0, duration=16.0):
    """A low, loud click on each downbeat and a short high click on the other beats."""
    y = np.zeros(int(duration * RATE), dtype=np.float32)
    t = np.arange(int(0.05 * RATE)) / RATE
    downbeat = np.sin(2 * np.pi * 80 * t) * np.exp(-40 * t) \
        + 0.15 * np.sin(2 * np.pi * 1000 * t) * np.exp(-40 * t)
    beat = 0.35 * np.sin(2 * np.pi * 1500 * t) * np.exp(-80 * t)
    for index, start in enumerate(np.arange(0, duration - 0.1, 60.0 / bpm)):
        click = downbeat if index % meter == 0 else beat
        begin = int(start * RATE)
        y[begin:begin + len(click)] += click[: len(y) - begin]
    return y


@pytest.mark.parametrize("meter", config.DEFAULT_CLASSES)
def test_madmom_prefers_the_accented_meter(tmp_path, meter):
    path = tmp_path / f"clicks{meter}.wav"
    sf.write(path, accented_clicks(meter), RATE)
    result = analyse_file(path, ("madmom",), tmp_path / "cache")
    assert not result.failed and not result.unavailable and result.error is None
    scores = dict(zip(config.CANDIDATE_METERS, result.scores["madmom"]))
    others = [scores[other] for other in config.DEFAULT_CLASSES if other != meter]
    assert max(others) < 0.8 * scores[meter], scores
