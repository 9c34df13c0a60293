"""Beat This! signal with a tiny random checkpoint in the official file format."""
import numpy as np
import pytest
import torch
from beat_this.model.beat_tracker import BeatThis

from meterlab import config
from meterlab.engine.file_analysis import FileAnalysis
from meterlab.engine.cache import Cache
from meterlab.engine.versions import analysis_version, producer_version, signal_version
from meterlab.engine.scoring import analyse_file
from meterlab.dsp.meter_decoding import dbn_meter_scores
from meterlab.thirdparty.beat_this import madmom_columns
from tests.conftest import click_track

DURATION = 8.0
#: Small enough to build in milliseconds; the real model has transformer_dim 512.
TINY = {"spect_dim": 128, "transformer_dim": 32, "ff_mult": 2, "n_layers": 1,
        "head_dim": 16, "stem_dim": 16, "sum_head": True, "partial_transformers": True}


def write_checkpoint(path, seed):
    """A Lightning-style checkpoint: hyper-parameters (model and training) + prefixed weights."""
    torch.manual_seed(seed)
    model = BeatThis(**TINY)
    state_dict = {f"model.{key}": value for key, value in model.state_dict().items()}
    torch.save({"hyper_parameters": dict(TINY, lr=8e-4, fps=50, loss="shift_tolerant_weighted_bce"),
                "state_dict": state_dict}, path)
    return path


@pytest.fixture
def checkpoint(tmp_path, monkeypatch):
    path = write_checkpoint(tmp_path / "tiny.ckpt", seed=0)
    monkeypatch.setenv("BEAT_THIS_CHECKPOINT", str(path))
    producer_version.cache_clear()
    yield path
    producer_version.cache_clear()


@pytest.fixture
def audio(write_audio):
    return write_audio("march.wav", click_track(duration=DURATION, beats_per_bar=4))


def test_activations_are_probabilities_at_50_fps(checkpoint, audio, tmp_path):
    value = FileAnalysis(audio, Cache(tmp_path / "cache"))["beat_this_activations"]
    activations = value["activations"]
    assert value["fps"] == 50
    assert activations.dtype == np.float32 and activations.shape[1] == 2
    assert abs(len(activations) - DURATION * 50) <= 1
    assert np.all((activations >= 0) & (activations <= 1))


def test_engine_scores_every_candidate_meter(checkpoint, audio, tmp_path):
    result = analyse_file(audio, signals=("beat_this",), cache_root=tmp_path)
    assert result.failed == {} and result.unavailable == {}
    scores = result.scores["beat_this"]
    assert scores.shape == (len(config.CANDIDATE_METERS),)
    assert np.all(scores >= 0) and np.isclose(scores.max(), 1.0)


def test_without_checkpoint_the_signal_is_unavailable(audio, tmp_path, monkeypatch):
    monkeypatch.delenv("BEAT_THIS_CHECKPOINT", raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "empty_hub"))
    producer_version.cache_clear()
    result = analyse_file(audio, signals=("beat_this",), cache_root=tmp_path / "cache")
    producer_version.cache_clear()
    assert "beat_this" not in result.scores and result.failed == {}
    assert "checkpoint" in result.unavailable["beat_this"]


def test_replacing_the_checkpoint_changes_the_producer_versions(checkpoint):
    before = [analysis_version("beat_this_activations"), signal_version("beat_this")]
    write_checkpoint(checkpoint, seed=1)
    producer_version.cache_clear()
    after = [analysis_version("beat_this_activations"), signal_version("beat_this")]
    assert all(old != new for old, new in zip(before, after))


def test_beats_that_are_downbeats_become_downbeat_only():
    activations = np.array([[0.9, 0.8], [0.7, 0.1], [0.05, 0.2]], dtype=np.float32)
    converted = madmom_columns(activations)
    np.testing.assert_allclose(converted, [[0.1, 0.8], [0.6, 0.1], [0.0, 0.2]], atol=1e-4)


def test_saturated_activations_still_decode_to_finite_scores():
    """Sigmoids give exact 0 and 1; madmom's DBN finds no path through log(0)."""
    activations = np.zeros((400, 2), dtype=np.float32)
    activations[::25] = 1.0
    columns = madmom_columns(activations)
    assert np.all(columns > 0) and np.all(columns.sum(axis=1) < 1)
    scores = dbn_meter_scores(columns, 50.0)
    assert np.all(np.isfinite(scores)) and np.isclose(scores.max(), 1.0)
