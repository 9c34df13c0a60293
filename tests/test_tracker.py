"""Tests of the trained tracker: its data's works, augmentation, network, decoding, checkpoint."""
import numpy as np
import pytest
import torch

from meterlab.analyses.beats import beat_times
from meterlab.engine.file_analysis import FileAnalysis
from meterlab.engine.cache import Cache, file_digest
from meterlab.engine.versions import analysis_version, producer_version
from meterlab.config import SAMPLE_RATE
from meterlab.tracker import augment, decode
from meterlab.learn.tracker import checkpoint, features
from meterlab.evaluate import beat_metrics
from meterlab.tracker.data import felt_beats
from meterlab.learn.tracker.model import MAX_BPM, BeatTCN, activations
from meterlab.tracker.training import frame_targets, tempo_target
from tests.conftest import click_track


@pytest.mark.slow
def test_tracker_works_share_no_work_with_any_real_score_build():
    from meterlab.data.build.scores import PARSE_CACHE, SIZES, select_works
    from meterlab.data.build.scores.catalogue import read_catalogue
    from meterlab.tracker.works import ALL_SCORE_CLASSES, tracker_works

    catalogue = read_catalogue(PARSE_CACHE)
    chosen = tracker_works(catalogue, 20)
    real = {w.work_id for size in SIZES.values() for w in select_works(catalogue, ALL_SCORE_CLASSES, size, 0)}
    assert len(chosen) > 200 and real
    assert not {w.work_id for w in chosen} & real
    assert len({w.work_id for w in chosen}) == len(chosen)  # one clip per work


def test_felt_beats_count_compound_in_dotted_beats_and_duple_in_notated_bars():
    beats = np.arange(12.0)
    six = np.tile(np.arange(1, 7), 2)
    times, positions = felt_beats(6, beats, six)
    assert list(times) == [0, 3, 6, 9] and list(positions) == [1, 2, 1, 2]
    times, positions = felt_beats(2, beats, np.tile(np.arange(1, 5), 3))
    assert list(positions) == [1, 2] * 6
    assert list(felt_beats(3, beats, six)[1]) == list(six)


def test_augmentation_changes_the_audio_but_keeps_its_length():
    y = click_track(duration=4.0)
    changed = [augment.augment(y, SAMPLE_RATE, np.random.default_rng(seed)) for seed in range(4)]
    for out in changed:
        assert out.dtype == np.float32 and len(out) == len(y)
        assert np.max(np.abs(out)) <= augment.MAX_PEAK + 1e-6
        assert not np.allclose(out, y, atol=1e-3)
    assert not np.allclose(changed[0], changed[1])
    again = augment.augment(y, SAMPLE_RATE, np.random.default_rng(0))
    assert np.allclose(again, changed[0])


def test_features_are_frames_at_100_fps():
    spec = features.spectrogram(np.zeros(SAMPLE_RATE * 3, dtype=np.float32))
    assert spec.shape == (300, features.n_bins()) and spec.dtype == np.float32


def test_model_forward_shapes_and_madmom_form():
    model = BeatTCN(features.n_bins())
    logits, tempo = model(torch.zeros(2, 250, features.n_bins()))
    assert logits.shape == (2, 250, 3) and tempo.shape == (2, MAX_BPM)
    act = activations(model, np.zeros((250, features.n_bins()), np.float32))
    assert act.shape == (250, 2) and np.all(act >= 0) and np.all(act.sum(axis=1) <= 1 + 1e-6)


def test_targets_widen_beats_and_downbeats_and_give_the_tempo():
    target = frame_targets(100, np.array([0.1, 0.6]), np.array([0.1]))
    assert np.allclose(target.sum(axis=1), 1)
    assert target[10, 2] == 1 and target[9, 2] == 0.5 and target[60, 1] == 1 and target[61, 1] == 0.5
    assert target[30, 0] == 1
    tempo = tempo_target(np.arange(0, 5, 0.5))
    assert tempo.argmax() == 120 and tempo[119] > 0 and tempo_target(np.array([1.0])) is None


def test_decoding_a_synthetic_activation_finds_its_beats_and_downbeats():
    fps, period = 100, 50  # 120 BPM, bars of 3
    act = np.full((1000, 2), 0.01)
    beats = np.arange(20, 1000, period)
    act[beats, 0] = 0.9
    act[beats[::3], 0], act[beats[::3], 1] = 0.02, 0.9
    times = beat_times(act, fps)
    assert beat_metrics.fmeasure(beats / fps, times) > 0.95
    assert beat_metrics.same_level(beats / fps, times) and not beat_metrics.same_level(beats / fps, times[::2])
    assert beat_metrics.fmeasure(beats[::3] / fps, decode.downbeat_times(act, fps)) > 0.9


def test_checkpoint_loads_and_its_hash_is_in_the_cache_version(tmp_path, monkeypatch, write_audio):
    path = tmp_path / "tracker.pt"
    checkpoint.save(BeatTCN(features.n_bins()), path, {"seed": 0})
    assert checkpoint.load(path).network.n_bins == features.n_bins()
    assert (tmp_path / "tracker.json").is_file()
    monkeypatch.setattr(checkpoint, "CHECKPOINT", path)
    producer_version.cache_clear()
    first = analysis_version("tracker_activations")
    reader = analysis_version("beats")
    torch.manual_seed(1)
    checkpoint.save(BeatTCN(features.n_bins()), path, {"seed": 1})
    producer_version.cache_clear()
    assert analysis_version("tracker_activations") != first
    assert analysis_version("beats") != reader
    analysis = FileAnalysis(write_audio("clicks.wav", click_track(duration=5.0)), Cache(tmp_path / "cache"))
    value = analysis["tracker_activations"]
    assert value["activations"].shape == (500, 2) and int(value["fps"]) == features.FPS
    producer_version.cache_clear()


def test_the_committed_checkpoint_loads_with_its_provenance():
    import json

    path = checkpoint.CHECKPOINT
    assert path.is_file() and path.stat().st_size <= 5 * 2**20
    provenance = json.loads(path.with_suffix(".json").read_text())
    assert {"seed", "commit", "data_recipe", "validation"} <= set(provenance)
    assert type(checkpoint.load(path).network).__name__ == provenance["model"]
    assert len(file_digest(path)) == 40


@pytest.mark.slow
def test_compare_scores_madmom_and_the_tracker_on_an_annotated_file(tmp_path, monkeypatch):
    import soundfile as sf

    from meterlab.data.layout import write_beats
    from meterlab.tracker.compare import compare_file

    path = tmp_path / "audio" / "clicks.flac"
    (tmp_path / "annotations").mkdir()
    path.parent.mkdir()
    sf.write(path, click_track(duration=8.0), SAMPLE_RATE)
    beats = np.arange(0, 7.9, 0.5)
    write_beats(tmp_path / "annotations" / "clicks.beats", beats, np.arange(len(beats)) % 4 + 1)
    monkeypatch.setattr(checkpoint, "CHECKPOINT", tmp_path / "none.pt")
    producer_version.cache_clear()
    record = compare_file((path, tmp_path / "cache"))
    producer_version.cache_clear()
    assert "tracker" not in record  # no checkpoint: left out, not failed
    assert record["madmom"]["beat_f"] > 0.9 and record["madmom"]["level"] == 1.0


def test_the_tracker_signal_decodes_the_committed_networks_activations(tmp_path, monkeypatch, write_audio):
    """The ``tracker`` signal is the per-meter decoding of the committed network's output, not
    of madmom's (the two networks differ in their softmax, so their scores do too)."""
    from meterlab.dsp.meter_decoding import dbn_meter_scores
    from meterlab.engine.scoring import analyse_file
    from tests.conftest import SHIPPED_MODELS

    path = SHIPPED_MODELS / "tracker" / "tracker.pt"
    monkeypatch.setattr(checkpoint, "CHECKPOINT", path)
    producer_version.cache_clear()
    y = click_track(duration=12.0, sample_rate=44100, beats_per_bar=3)
    result = analyse_file(write_audio("clicks.wav", y, 44100, subtype="FLOAT"), ("tracker", "madmom"), tmp_path / "cache")
    producer_version.cache_clear()
    assert not result.unavailable and result.error is None
    expected = dbn_meter_scores(checkpoint.load(path).activations(y), 100.0)
    np.testing.assert_allclose(result.scores["tracker"], expected, rtol=1e-4, atol=1e-6)
    assert np.abs(result.scores["tracker"] - result.scores["madmom"]).max() > 1e-3
