"""The onset MLP: out-of-fold scores for training files, determinism, checkpoints, signal."""

import tracemalloc

import librosa
import numpy as np
import pytest
import soundfile as sf
import torch

from meterlab import config
from meterlab.learn import onset_mlp
from meterlab.analyses import onset_features
from meterlab.engine.file_analysis import FileAnalysis
from meterlab.engine.cache import Cache, file_digest
from meterlab.engine.versions import analysis_version, producer_version
from meterlab.dsp.curves import lag_peak
from meterlab.data.datasets import song_folds
from meterlab.engine.scoring import analyse_file
from meterlab.learn.mlp import TrainSettings
from tests.conftest import click_track, load_script

CLASSES = (3, 4, 5, 7)
FAST = TrainSettings(epochs=60, patience=15)
N_FOLDS = 4


def synthetic(n_files=96, n_features=onset_features.N_FEATURES, seed=0):
    """Separable clusters, two segments per song: (features, meters, song ids, keys)."""
    rng = np.random.default_rng(seed)
    meters = [CLASSES[i % len(CLASSES)] for i in range(n_files)]
    centres = rng.normal(0, 3, size=(len(CLASSES), n_features))
    x = np.stack([centres[CLASSES.index(m)] for m in meters]) + rng.normal(size=(n_files, n_features))
    songs = [f"song{i // 2}" for i in range(n_files)]
    keys = [f"key{i:03d}" for i in range(n_files)]
    return x.astype(np.float32), meters, songs, keys


def train_synthetic(seed=0, extra=None, feature_version=None, n_folds=N_FOLDS):
    """A checkpoint from :func:`synthetic`, plus ``extra = (features, meter, song, key)``."""
    x, meters, songs, keys = synthetic()
    if extra is not None:
        x = np.vstack([x, extra[0][None]])
        meters, songs, keys = meters + [extra[1]], songs + [extra[2]], keys + [extra[3]]
    return onset_mlp.train(x, meters, songs, keys, CLASSES, seed, n_folds, FAST, feature_version)


@pytest.fixture(scope="module")
def checkpoint():
    return train_synthetic()


def test_training_file_scored_by_the_fold_model_that_never_saw_its_song(checkpoint):
    x, _, songs, keys = synthetic()
    full_probabilities = onset_mlp.probabilities(checkpoint["full"], x[0])[0]
    fold_of_song = song_folds(songs, N_FOLDS, onset_mlp.FOLD_SALT)
    for features, song, key in zip(x[:8], songs, keys):
        name, entry = onset_mlp.model_for(checkpoint, key)
        fold = fold_of_song[song]
        assert name == f"fold {fold}" and entry is checkpoint["folds"][fold]
        assert entry is not checkpoint["full"]
        expected = onset_mlp.probabilities(entry, features)[0]
        np.testing.assert_array_equal(onset_mlp.predict(checkpoint, features, key), expected)
    # both segments of a song are held out together
    assert checkpoint["fold_of"]["key000"] == checkpoint["fold_of"]["key001"]
    assert not np.array_equal(onset_mlp.predict(checkpoint, x[0], keys[0]), full_probabilities)


def test_unseen_file_scored_by_the_full_model(checkpoint):
    x = synthetic(seed=1)[0]
    name, entry = onset_mlp.model_for(checkpoint, "never-trained-on")
    assert name == "full" and entry is checkpoint["full"]
    probabilities = onset_mlp.predict(checkpoint, x[0], "never-trained-on")
    np.testing.assert_array_equal(probabilities,
                                  onset_mlp.probabilities(checkpoint["full"], x[0])[0])
    assert probabilities.shape == (len(CLASSES),)
    assert np.isclose(probabilities.sum(), 1.0, atol=1e-5)


def test_checkpoint_records_folds_and_accuracies(checkpoint):
    assert checkpoint["classes"] == list(CLASSES)
    assert checkpoint["n_features"] == onset_features.N_FEATURES
    assert len(checkpoint["folds"]) == N_FOLDS and len(checkpoint["fold_of"]) == 96
    for model in checkpoint["folds"] + [checkpoint["full"]]:
        assert 0.0 <= model["val_accuracy"] <= 1.0 and model["n_val"] > 0
    assert min(model["held_out_accuracy"] for model in checkpoint["folds"]) > 0.9


def _same_weights(first, second):
    return all(torch.equal(first["model"]["weights"][name], second["model"]["weights"][name])
               for name in first["model"]["weights"])


def test_same_seed_gives_identical_weights():
    first, again, other = (train_synthetic(seed, n_folds=2) for seed in (0, 0, 1))
    for model, repeat in zip(first["folds"] + [first["full"]], again["folds"] + [again["full"]]):
        assert _same_weights(model, repeat)
    assert not _same_weights(first["full"], other["full"])


def test_save_and_load_round_trip(checkpoint, tmp_path):
    path = tmp_path / "onset_mlp.pt"
    onset_mlp.save(checkpoint, path)
    loaded = onset_mlp.load(path)
    x, _, _, keys = synthetic()
    for key in (keys[0], "unseen"):
        np.testing.assert_array_equal(onset_mlp.predict(loaded, x[0], key),
                                      onset_mlp.predict(checkpoint, x[0], key))


def test_load_names_a_missing_or_corrupt_file(tmp_path):
    missing = tmp_path / "missing.pt"
    with pytest.raises(onset_mlp.CheckpointError, match="missing.pt"):
        onset_mlp.load(missing)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(onset_mlp.CheckpointError, match="corrupt.pt"):
        onset_mlp.load(corrupt)


def test_predict_rejects_features_of_another_length(checkpoint):
    with pytest.raises(ValueError, match="features"):
        onset_mlp.predict(checkpoint, np.zeros(3), "unseen")


@pytest.fixture
def checkpoint_path(tmp_path, monkeypatch):
    """Point the signal at ``tmp_path/onset_mlp.pt`` (not yet written)."""
    path = tmp_path / "onset_mlp.pt"
    monkeypatch.setattr(config, "ONSET_MLP_CHECKPOINT", path)
    producer_version.cache_clear()
    yield path
    producer_version.cache_clear()


def test_signal_unavailable_without_checkpoint(checkpoint_path, write_audio, tmp_path):
    audio = write_audio("clicks.wav", click_track())
    result = analyse_file(audio, signals=("onset_mlp",), cache_root=tmp_path / "cache")
    assert "onset_mlp" not in result.scores
    reason = result.unavailable["onset_mlp"]
    assert str(checkpoint_path) in reason and "make onset-mlp" in reason


@pytest.fixture(scope="module")
def waltz(tmp_path_factory):
    """A 3/4 click track and its cache folder, shared so madmom runs once per module."""
    folder = tmp_path_factory.mktemp("waltz")
    path = folder / "waltz.wav"
    sf.write(path, click_track(duration=12.0, bpm=120.0, beats_per_bar=3), 22050)
    return path, folder / "cache"


def test_onset_features_of_a_click_track(waltz):
    path, cache_root = waltz
    features = FileAnalysis(path, Cache(cache_root))["onset_features"]["features"]
    assert features.shape == (onset_features.N_FEATURES,) and features.dtype == np.float32
    assert np.all(np.isfinite(features)) and features[0] == 1.0
    # louder clicks every third beat: loudness repeats after 3 beats, not after 2 or 4
    lag = {k: features[onset_features.FEATURE_NAMES.index(f"rms_accent_correlation_{k}")]
           for k in (2, 3, 4)}
    assert lag[3] > 0.5 > max(lag[2], lag[4])


def test_onset_features_are_zero_without_a_beat_grid():
    envelope = np.abs(np.random.default_rng(0).normal(size=500))
    features = onset_features.feature_vector(envelope, envelope, 43.07, np.array([1.0, 1.5]), 0.5)
    assert features.shape == (onset_features.N_FEATURES,) and not features.any()


def test_signal_scores_a_training_file_out_of_fold(waltz, checkpoint_path):
    """End to end: the engine's score for a training file is its fold model's."""
    path, cache_root = waltz
    key = file_digest(path)
    features = FileAnalysis(path, Cache(cache_root))["onset_features"]["features"]
    version = analysis_version("onset_features")
    trained = train_synthetic(extra=(features, 3, "waltz", key), feature_version=version)
    onset_mlp.save(trained, checkpoint_path)
    producer_version.cache_clear()

    result = analyse_file(path, signals=("onset_mlp",), cache_root=cache_root)
    scores = result.scores["onset_mlp"]
    positions = [config.CANDIDATE_METERS.index(meter) for meter in CLASSES]
    fold_model = trained["folds"][trained["fold_of"][key]]
    np.testing.assert_allclose(scores[positions],
                               onset_mlp.probabilities(fold_model, features)[0], rtol=1e-6)
    assert np.delete(scores, positions).sum() == 0


def test_signal_refuses_a_model_trained_on_other_features(waltz, checkpoint_path, checkpoint):
    path, cache_root = waltz
    onset_mlp.save(dict(checkpoint, feature_version="stale"), checkpoint_path)
    result = analyse_file(path, signals=("onset_mlp",), cache_root=cache_root)
    assert "another version of onset_features" in result.unavailable["onset_mlp"]


@pytest.mark.parametrize("split", ["test", "all"])
def test_training_script_refuses_the_test_split(split, capsys):
    script = load_script("scripts/training/train_onset_mlp.py")
    with pytest.raises(SystemExit, match="test split"):
        script.main(["--split", split])


def _peak_bytes(function, *args):
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_tempogram_profile_of_a_long_file_in_flat_memory():
    """Ten minutes of onset envelope: the windowed profile is the whole tempogram's, and
    its memory is the same for five and ten minutes (an hour's tempogram is gigabytes)."""
    fps, period = 100.0, 50.0
    frames = np.arange(int(600 * fps))
    envelope = (frames % int(period) == 0) * (1.0 + (frames % int(3 * period) == 0))
    envelope = envelope + 0.05 * np.random.default_rng(0).random(len(frames))
    window = int(np.ceil(onset_features.TEMPOGRAM_BEATS * period))
    whole = librosa.feature.tempogram(onset_envelope=envelope.astype(np.float32),
                                      win_length=window).mean(axis=1)
    ours = onset_features._tempogram_profile(envelope, period, fps)
    expected = [np.nan_to_num(lag_peak(whole / whole[0], period / ratio,
                                       onset_features.LAG_TOLERANCE))
                for ratio in onset_features.TEMPO_RATIOS]
    np.testing.assert_allclose(ours, expected, rtol=2e-3, atol=2e-3)
    half = _peak_bytes(onset_features._tempogram_profile, envelope[:len(envelope) // 2],
                       period, fps)
    full = _peak_bytes(onset_features._tempogram_profile, envelope, period, fps)
    assert full < 1.25 * half
