"""BeatNet signal: its network's activations on real audio and the scores decoded from them."""
import numpy as np

from meterlab import config
from meterlab.analyses import beatnet_activations
from meterlab.engine.file_analysis import FileAnalysis
from meterlab.engine.cache import Cache
from meterlab.engine.scoring import analyse_file
from tests.conftest import click_track

DURATION = 8.0


def _activations(path, cache_root):
    return FileAnalysis(path, Cache(cache_root))["beatnet_activations"]


def test_activations_are_beat_and_downbeat_probabilities_at_50_fps(write_audio, tmp_path):
    path = write_audio("waltz.wav", click_track(duration=DURATION, beats_per_bar=3))
    value = _activations(path, tmp_path / "cache")
    activations = value["activations"]
    assert value["fps"] == 50
    assert activations.dtype == np.float32 and activations.shape[1] == 2
    assert abs(len(activations) - DURATION * 50) <= 1
    # Two classes of a three-way softmax (the third is "no beat").
    assert np.all(activations >= 0) and np.all(activations.sum(axis=1) <= 1 + 1e-5)
    assert activations.sum(axis=1).max() > 0.3, "clicks should look like beats"


def test_model_loads_once_and_files_do_not_leak_state(write_audio, tmp_path):
    """The shared network keeps LSTM state between calls unless it is reset per file."""
    waltz = write_audio("waltz.wav", click_track(duration=DURATION, beats_per_bar=3))
    march = write_audio("march.wav", click_track(duration=DURATION, bpm=97, beats_per_bar=4))
    beatnet_activations._network.cache_clear()
    first = _activations(waltz, tmp_path / "a")["activations"]
    _activations(march, tmp_path / "b")
    again = _activations(waltz, tmp_path / "c")["activations"]
    assert beatnet_activations._network.cache_info().misses == 1
    np.testing.assert_array_equal(first, again)


def test_engine_scores_every_candidate_meter(write_audio, tmp_path):
    path = write_audio("march.wav", click_track(duration=DURATION, beats_per_bar=4))
    result = analyse_file(path, signals=("beatnet",), cache_root=tmp_path)
    assert result.failed == {} and result.unavailable == {}
    scores = result.scores["beatnet"]
    assert scores.shape == (len(config.CANDIDATE_METERS),)
    assert np.all(scores >= 0) and np.isclose(scores.max(), 1.0)
    cached = analyse_file(path, signals=("beatnet",), cache_root=tmp_path)
    np.testing.assert_array_equal(cached.scores["beatnet"], scores)
    assert cached.cache_stats["hit"] >= 1 and "beatnet_activations" not in cached.timings
