"""Tests of madmom's downbeat network ported to torch and of its fine-tuning."""
import json

import numpy as np
import pytest
import torch

from meterlab.config import MADMOM_SAMPLE_RATE
from meterlab.engine.cache import Cache
from meterlab.engine.file_analysis import FileAnalysis
from meterlab.engine.versions import producer_version
from meterlab.learn.tracker import blstm, checkpoint, fused
from meterlab.thirdparty import compat
from meterlab.tracker import finetune, run
from tests.conftest import click_track


@pytest.mark.slow
def test_ported_networks_give_madmoms_activations():
    """Each of the 8 shipped networks, ported, gives madmom's output to float32 rounding (3e-5),
    and their mean is RNNDownBeatProcessor's (gate layout and peepholes included)."""
    compat.ensure()
    from madmom.features.downbeats import RNNDownBeatProcessor

    y = click_track(duration=4.0, sample_rate=MADMOM_SAMPLE_RATE, bpm=100.0, beats_per_bar=3)
    feats = blstm.features(y, MADMOM_SAMPLE_RATE)
    assert feats.shape == (400, 314)
    ported = [blstm.activations(blstm.shipped(index), feats) for index in range(8)]
    for network, act in zip(blstm.madmom_networks(), ported):
        reference = feats
        for layer in network:
            reference = layer(reference)
        np.testing.assert_allclose(act, reference[:, 1:], atol=3e-5)
    expected = RNNDownBeatProcessor()(compat.madmom_signal(y, MADMOM_SAMPLE_RATE))
    np.testing.assert_allclose(np.mean(ported, axis=0), expected, atol=3e-5)


def test_a_fine_tuned_network_runs_as_madmom_layers():
    """The tracker analyses run the network through madmom's faster loop: same values."""
    network = blstm.shipped(2)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter, generator=torch.Generator().manual_seed(0)))
    feats = np.random.default_rng(0).random((150, 314)).astype(np.float32)
    np.testing.assert_allclose(blstm.madmom_activations(network, feats), blstm.activations(network, feats), atol=3e-5)
    assert not np.allclose(blstm.madmom_activations(blstm.shipped(2), feats), blstm.activations(network, feats), atol=1e-3)


def test_the_fused_lstm_computes_the_peephole_free_network():
    """Every layer trains and runs in torch's fused LSTM: from the shipped weights with the
    peepholes set to zero, it computes what madmom's layer math computes."""
    network = blstm.shipped(1)
    feats = np.random.default_rng(0).random((120, 314)).astype(np.float32)
    fused_activations = blstm.activations(fused.FusedDownbeatBLSTM.from_blstm(network), feats)
    assert not np.allclose(fused_activations, blstm.activations(network, feats), atol=1e-3)
    with torch.no_grad():
        for layer in network.layers:
            layer.peepholes.zero_()
    np.testing.assert_allclose(fused_activations, blstm.activations(network, feats), atol=1e-4)


def test_units_added_to_the_shipped_network_start_with_no_say():
    """Widened for fine-tuning, the network still computes the shipped one at step 0, and
    the new units are there to train (their incoming weights are not zero)."""
    network = blstm.shipped(3)
    feats = torch.from_numpy(np.random.default_rng(0).random((1, 120, 314)).astype(np.float32))
    narrow, wide = fused.FusedDownbeatBLSTM.from_blstm(network), fused.FusedDownbeatBLSTM.from_blstm(network, 40)
    assert wide.lstm.hidden_size == 40
    with torch.no_grad():
        np.testing.assert_allclose(wide(feats).numpy(), narrow(feats).numpy(), atol=1e-5)
        assert float(wide.lstm.weight_ih_l1[blstm.UNITS:40].abs().min()) > 0


@pytest.mark.slow
def test_a_widened_checkpoint_loads_with_its_units(tmp_path):
    path = tmp_path / "tracker.pt"
    network = fused.FusedDownbeatBLSTM.from_blstm(blstm.shipped(3), 40)
    checkpoint.save(network, path, {"seed": 0})
    loaded = checkpoint.load(path).network
    assert loaded.lstm.hidden_size == 40
    feats = np.random.default_rng(0).random((100, 314)).astype(np.float32)
    np.testing.assert_allclose(blstm.activations(loaded, feats), blstm.activations(network, feats))


def _tiny_data(root, rng):
    (root / "clips").mkdir(parents=True)
    clips = {}
    for name, split in (("a", "train"), ("b", "train"), ("c", "val")):
        beats = np.arange(0.2, 1.5, 0.3)
        np.savez(root / "clips" / f"{name}.npz", blstm_features=rng.random((150, 314)).astype(np.float16),
                 beats=beats, downbeats=beats[::3])
        clips[name] = {"split": split}
    (root / "tracker_data.json").write_text(json.dumps({"clips": clips}))


@pytest.mark.slow
def test_the_l2_pull_holds_the_weights_near_the_shipped_ones(tmp_path, monkeypatch):
    _tiny_data(tmp_path, np.random.default_rng(0))
    monkeypatch.setattr(finetune, "CROP_FRAMES", 100)
    monkeypatch.setattr(finetune, "EVAL_STEPS", 4)
    distance = {}
    for pull in (0.0, 10.0):
        monkeypatch.setattr(finetune, "L2_PULL", pull)
        model, history = finetune.train(tmp_path, steps=4, log=lambda row: None)
        distance[pull] = history[-1]["pull"]
        shipped = fused.FusedDownbeatBLSTM.from_blstm(blstm.shipped(finetune.NETWORK_INDEX),
                                                      finetune.UNITS).parameters()
        assert float(finetune.pull(model, list(shipped)).detach()) == pytest.approx(distance[pull], abs=1e-4)
    assert 0 < distance[10.0] < 0.5 * distance[0.0]


@pytest.mark.slow
def test_make_tracker_fine_tunes_the_member_it_is_given(tmp_path, monkeypatch):
    _tiny_data(tmp_path, np.random.default_rng(0))
    monkeypatch.setattr(finetune, "CROP_FRAMES", 100)
    monkeypatch.setattr(finetune, "EVAL_STEPS", 1)
    model, _, _, _, settings = run._train("blstm", tmp_path, 1, 1, 0, 2, finetune.UNITS, log=lambda row: None)
    distance = {index: float(finetune.pull(model, list(fused.FusedDownbeatBLSTM.from_blstm(
        blstm.shipped(index), finetune.UNITS).parameters())).detach()) for index in (0, 2)}
    assert settings["network_index"] == 2
    assert len(blstm.madmom_networks()) == finetune.MEMBERS
    assert distance[2] < 0.01 * distance[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["DownbeatBLSTM", "FusedDownbeatBLSTM"])
def test_a_blstm_checkpoint_is_the_tracker_analyses_model(tmp_path, monkeypatch, write_audio, kind):
    path = tmp_path / "tracker.pt"
    network = blstm.shipped(3)
    if kind == "FusedDownbeatBLSTM":
        network = fused.FusedDownbeatBLSTM.from_blstm(network)
    checkpoint.save(network, path, {"seed": 0})
    loaded = checkpoint.load(path)
    assert type(loaded.network).__name__ == kind and loaded.sample_rate == MADMOM_SAMPLE_RATE
    y = click_track(duration=5.0, sample_rate=MADMOM_SAMPLE_RATE)
    monkeypatch.setattr(checkpoint, "CHECKPOINT", path)
    producer_version.cache_clear()
    value = FileAnalysis(write_audio("clicks.wav", y, MADMOM_SAMPLE_RATE), Cache(tmp_path / "cache"))["tracker_activations"]
    producer_version.cache_clear()
    expected = checkpoint.NETWORKS[kind].activations(network, blstm.features(y, MADMOM_SAMPLE_RATE))
    assert value["activations"].shape == (500, 2)
    np.testing.assert_allclose(value["activations"], expected, atol=1e-3)


@pytest.mark.slow
def test_output_fine_tuning_trains_the_softmax_alone(tmp_path, monkeypatch):
    _tiny_data(tmp_path, np.random.default_rng(0))
    monkeypatch.setattr(finetune, "EVAL_STEPS", 1)
    model, history = finetune.train_output(tmp_path, steps=20, log=lambda row: None)
    shipped = blstm.shipped(finetune.NETWORK_INDEX)
    for name, parameter in model.named_parameters():
        moved = not torch.equal(parameter, dict(shipped.named_parameters())[name])
        assert moved == name.startswith("output."), name
    assert history[-1]["train_loss"] < history[0]["train_loss"]
