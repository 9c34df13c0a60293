"""Tests of the bar model: its cues, its choice of bar, its training and its checkpoint."""
import json

import numpy as np
import pytest

from meterlab.tracker import bar_model
from meterlab.tracker import bar_training

FPS = 100.0


def analysis_with_bars(beats_per_bar, n_beats=24, period=0.5, downbeat_level=0.6):
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
    return {"beats": {"times": times, "period": period}, "tracker_activations": shared,
            "madmom_activations": shared, "onset": {"envelope": onset, "rms": onset, "fps": FPS},
            "chroma": {"chroma": chroma, "fps": FPS}, "bass": {"bass": chroma, "fps": FPS}}


def test_the_cues_mark_where_harmony_and_bass_change():
    analysis = analysis_with_bars(3)
    cues = bar_model.beat_cues(analysis, analysis["beats"]["times"])
    assert cues.shape == (24, len(bar_model.CUES)) and cues.dtype == np.float32
    for name in ("harmony change", "bass change", "tracker downbeat"):
        cue = cues[:, bar_model.CUES.index(name)]
        assert np.all(cue[3::3] > 0.5) and np.all(np.delete(cue, np.arange(0, 24, 3)) < 0.1), name


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


@pytest.mark.slow
def test_training_learns_downbeats_it_can_hear_and_the_checkpoint_round_trips(tmp_path):
    records = []
    for meter in (3, 4, 5, 7) * 6:
        analysis = analysis_with_bars(meter, n_beats=28, downbeat_level=0.3)
        times = analysis["beats"]["times"]
        records.append({"times": times, "cues": bar_model.beat_cues(analysis, times),
                        "targets": (np.arange(len(times)) % meter == 0).astype(np.float32),
                        "downbeats": times[::meter], "dbn": times[::2]})
    model, history = bar_training.train(records, epochs=150, seed=0, log=lambda _: None)
    assert history[-1]["loss"] < history[0]["loss"] / 2
    scores = bar_training.evaluate(model, records)
    assert scores["bar model"] > 0.95 and scores["bar model"] > scores["dbn"]

    path = tmp_path / "bar_model.pt"
    bar_model.save(model, path, {"seed": 0})
    again = bar_model.load(path)
    np.testing.assert_allclose(bar_model.probabilities(again, records[0]["cues"]),
                               bar_model.probabilities(model, records[0]["cues"]), rtol=1e-6)
    assert json.loads(path.with_suffix(".json").read_text()) == {"seed": 0}


def test_a_checkpoint_trained_on_other_cues_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "bar_model.pt"
    bar_model.save(bar_model.BarGRU(), path, {})
    monkeypatch.setattr(bar_model, "CUES", bar_model.CUES[:-1])
    with pytest.raises(ValueError, match="trained on cues"):
        bar_model.load(path)


def test_the_committed_bar_model_loads_with_its_provenance():
    path = bar_model.CHECKPOINT
    assert path.is_file() and path.stat().st_size <= 5 * 2**20
    provenance = json.loads(path.with_suffix(".json").read_text())
    assert {"seed", "commit", "epochs", "validation"} <= set(provenance)
    assert provenance["cues"] == list(bar_model.CUES)
    assert isinstance(bar_model.load(path), bar_model.BarGRU)


def test_the_beat_diagnostics_score_the_bar_models_downbeats(tmp_path, monkeypatch):
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
