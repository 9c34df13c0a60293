"""Tests of the bar model: its cues, its choice of bar, its cross-fitted training, its
checkpoint and its meter signal."""
import json

import numpy as np
import pytest
import torch

from meterlab import config
from meterlab.engine import versions
from meterlab.engine.file_analysis import Unavailable
from meterlab.engine.versions import producer_version
from meterlab.learn import bar_model
from meterlab.learn.mlp import CheckpointError
from meterlab.signals import bar_model as bar_signal
from meterlab.tracker import bar_training

FPS = 100.0


class Analysed(dict):
    """Cached analyses of one clip, with the audio key the cross-fitted models look up."""

    key = "a clip no model trained on"


def analysis_with_bars(beats_per_bar, n_beats=24, period=0.5, downbeat_level=0.6, key=None):
    """Cached analyses of a clip whose bass and harmony change, and whose downbeat
    activation fires, every ``beats_per_bar`` beats from the first."""
    frames = int((n_beats + 1) * period * FPS)
    times = np.arange(n_beats) * period
    activations = np.full((frames, 2), 0.05, np.float32)
    chroma = np.zeros((12, frames), np.float32)
    for index, t in enumerate(times):
        frame = int(round(t * FPS))
        down = index % beats_per_bar == 0
        activations[frame] = (0.2, downbeat_level) if down else (0.8, 0.05)
        bar = index // beats_per_bar
        chroma[bar % 12, frame:frame + int(period * FPS)] = 1.0
    onset = np.ones(frames, np.float32)
    shared = {"activations": activations, "fps": FPS}
    analysis = Analysed(beats={"times": times, "period": period}, tracker_activations=shared,
                        madmom_activations=shared, onset={"envelope": onset, "rms": onset, "fps": FPS},
                        chroma={"chroma": chroma, "fps": FPS}, bass={"bass": chroma, "fps": FPS})
    if key is not None:
        analysis.key = key
    return analysis


def test_the_cues_mark_where_harmony_and_bass_change():
    analysis = analysis_with_bars(3)
    cues = bar_signal.beat_cues(analysis, analysis["beats"]["times"])
    assert cues.shape == (24, len(bar_signal.CUES)) and cues.dtype == np.float32
    for name in ("harmony change", "bass change", "tracker downbeat"):
        cue = cues[:, bar_signal.CUES.index(name)]
        assert np.all(cue[3::3] > 0.5) and np.all(np.delete(cue, np.arange(0, 24, 3)) < 0.1), name
    over_two = cues[:, bar_signal.CUES.index("harmony change over two beats")]
    assert over_two[:2].tolist() == [0, 0] and np.all(over_two[3::3] > 0.5)


def test_the_bar_is_the_most_likely_length_and_phase_not_the_most_downbeats():
    probs = np.full(32, 0.05)
    probs[1::4] = 0.9
    probs[3::4] = 0.3  # a strong third beat: length 2 would put it on a bar line too
    assert bar_model.choose_bar(probs) == (4, 1)
    assert bar_model.choose_bar(probs, (3,))[0] == 3
    probs = np.full(35, 0.05)
    probs[2::7] = 0.8
    assert bar_model.choose_bar(probs) == (7, 2)
    probs = np.full(32, 0.05)
    probs[::2] = 0.9  # every other beat: bars of 4 would leave half the downbeats out
    assert bar_model.choose_bar(probs) == (2, 0)


def test_an_ensemble_reads_the_mean_of_its_models():
    cues = bar_signal.beat_cues(analysis_with_bars(4), np.arange(24) * 0.5)
    torch.manual_seed(0)
    models = [bar_model.BarGRU(len(bar_signal.CUES)).eval() for _ in range(2)]
    alone = [bar_model.probabilities([model], cues) for model in models]
    assert not np.allclose(*alone)
    np.testing.assert_allclose(bar_model.probabilities(models, cues), np.mean(alone, axis=0), rtol=1e-6)


def synthetic_records(copies=6, n_beats=28):
    """Annotated records of clips in 3, 4, 5 and 7, one song each."""
    records = []
    for index, meter in enumerate((3, 4, 5, 7) * copies):
        analysis = analysis_with_bars(meter, n_beats=n_beats, downbeat_level=0.3)
        times = analysis["beats"]["times"]
        records.append({"song": f"song{index}", "key": f"key{index}", "times": times,
                        "cues": bar_signal.beat_cues(analysis, times),
                        "targets": (np.arange(len(times)) % meter == 0).astype(np.float32),
                        "downbeats": times[::meter], "dbn": times[::2]})
    return records


@pytest.mark.slow
def test_training_learns_downbeats_it_can_hear():
    records = synthetic_records()
    model, losses = bar_training.train(records, epochs=150, seed=0)
    assert losses[-1] < losses[0] / 2
    scores = bar_training.evaluate([[model]] * len(records), records)
    assert scores["bar model"] > 0.95 and scores["bar model"] > scores["dbn"]
    assert scores["bar length right"] == 1.0


@pytest.fixture(scope="module")
def cross_fitted(tmp_path_factory):
    """A cross-fitted checkpoint of :func:`synthetic_records` (a few epochs) and its path."""
    path = tmp_path_factory.mktemp("bar") / "bar_model.pt"
    records = synthetic_records(copies=3)
    provenance = bar_training.train_and_save({"a": records[:6], "b": records[6:]}, path, epochs=3)
    return path, provenance, records


def test_training_files_are_read_by_the_fold_model_that_never_saw_them(cross_fitted, monkeypatch):
    path, provenance, records = cross_fitted
    monkeypatch.setattr(bar_model, "CHECKPOINT", path)
    checkpoint = bar_signal.current_checkpoint()
    assert len(checkpoint["folds"]) == bar_training.FOLDS and len(checkpoint["fold_of"]) == len(records)
    assert set(provenance["validation"]) == {"a", "b"} and provenance["validation"]["a"]["files"] == 6
    record = records[0]
    fold = checkpoint["fold_of"][record["key"]]
    analysis = analysis_with_bars(3, n_beats=28, downbeat_level=0.3, key=record["key"])
    _, probs = bar_signal.downbeat_probabilities(analysis)
    np.testing.assert_allclose(probs, bar_model.probabilities(checkpoint["folds"][fold], record["cues"]))
    assert not np.allclose(probs, bar_model.probabilities(checkpoint["full"], record["cues"]))
    analysis.key = "never trained on"
    np.testing.assert_allclose(bar_signal.downbeat_probabilities(analysis)[1],
                               bar_model.probabilities(checkpoint["full"], record["cues"]))


def test_the_checkpoint_round_trips_with_its_provenance(cross_fitted):
    path, provenance, _ = cross_fitted
    assert json.loads(path.with_suffix(".json").read_text()) == provenance
    again = bar_model.load(path, bar_signal.CUES)
    assert len(again["full"]) == bar_training.SEEDS == len(again["folds"][0])
    assert all(isinstance(model, bar_model.BarGRU) and not model.training for model in again["full"])


def test_a_checkpoint_trained_on_other_cues_is_refused(cross_fitted):
    with pytest.raises(CheckpointError, match="trained on cues"):
        bar_model.load(cross_fitted[0], bar_signal.CUES[:-1])


def test_a_damaged_checkpoint_is_named_with_the_cause(tmp_path):
    path = tmp_path / "bar_model.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="bar_model.pt: unreadable bar model"):
        bar_model.load(path, bar_signal.CUES)


def test_a_checkpoint_trained_on_another_tracker_makes_the_signal_unavailable(cross_fitted, monkeypatch):
    from meterlab.learn.tracker import checkpoint

    monkeypatch.setattr(bar_model, "CHECKPOINT", cross_fitted[0])
    monkeypatch.setattr(checkpoint, "CHECKPOINT", cross_fitted[0].with_name("another tracker.pt"))
    producer_version.cache_clear()
    with pytest.raises(Unavailable, match="tracker_activations: run `make bar-model`"):
        bar_signal.scores(analysis_with_bars(4))
    producer_version.cache_clear()


def test_another_library_version_leaves_the_checkpoint_in_use(cross_fitted, monkeypatch):
    """What makes a checkpoint stale is the analyses' code and models, not a newer torch."""
    monkeypatch.setattr(bar_model, "CHECKPOINT", cross_fitted[0])
    installed = versions.library_version
    monkeypatch.setattr(versions, "library_version",
                        lambda name: "0.0" if name == "torch" else installed(name))
    producer_version.cache_clear()
    assert bar_signal.scores(analysis_with_bars(4)).shape == (len(config.CANDIDATE_METERS),)
    producer_version.cache_clear()


def test_the_committed_bar_model_loads_with_its_provenance_and_reads_todays_analyses(committed_bar_model):
    path = committed_bar_model
    assert path.is_file() and path.stat().st_size <= 5 * 2**20
    provenance = json.loads(path.with_suffix(".json").read_text())
    assert {"seed", "seeds", "commit", "epochs", "folds", "validation"} <= set(provenance)
    assert provenance["cues"] == list(bar_signal.CUES)
    checkpoint = bar_signal.current_checkpoint()  # raises if trained on other analyses
    assert len(checkpoint["folds"]) == provenance["folds"]
    assert len(checkpoint["full"]) == provenance["seeds"] == bar_training.SEEDS


@pytest.mark.parametrize("meter", config.DEFAULT_CLASSES)
def test_the_signal_scores_the_bar_length_the_cues_show(meter, committed_bar_model):
    """Of the classes the committed model trained on, the one the clip's cues mark."""
    scores = bar_signal.scores(analysis_with_bars(meter, n_beats=4 * meter))
    assert scores.shape == (len(config.CANDIDATE_METERS),) and scores.max() <= 1.0
    classes = [scores[config.CANDIDATE_METERS.index(each)] for each in config.DEFAULT_CLASSES]
    assert config.DEFAULT_CLASSES[int(np.argmax(classes))] == meter


def test_the_beat_diagnostics_score_the_bar_models_downbeats(tmp_path, monkeypatch, committed_bar_model):
    from meterlab.data.layout import annotation_path, write_beats
    from meterlab.tracker import compare

    analysis = analysis_with_bars(4)
    analysis["madmom_beats"] = analysis["beats"]
    times = analysis["beats"]["times"]
    monkeypatch.setattr(compare, "FileAnalysis", lambda path, cache: analysis)
    audio = tmp_path / "audio" / "a.flac"
    annotation_path(audio).parent.mkdir(parents=True)
    write_beats(annotation_path(audio), times, np.arange(len(times)) % 4 + 1)
    record = compare.compare_file((audio, tmp_path / "cache"))
    assert record[compare.BAR_MODEL] == {"beat_f": 1.0, "downbeat_f": 1.0, "level": 1.0}
    assert set(record) == {"path", "madmom", "tracker", compare.BAR_MODEL}
