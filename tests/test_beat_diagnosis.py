"""Beat diagnostics: grouping files by how the tracker did, and re-running the signals on
annotated beats without touching the cache's tracked-beat values."""
import numpy as np
import pytest

from meterlab.engine import registry
from meterlab.evaluate.beat_diagnosis import (AnnotatedBeatAnalysis, beat_fmeasure,
                                              by_condition, condition, needs_beats)
from meterlab.engine.cache import Cache
from meterlab.engine.versions import analysis_version
from meterlab.data.layout import write_beats
from tests.conftest import click_track, install_signal, load_script

BEATS = np.arange(0.0, 12.0, 0.5)


def test_condition_tells_the_tracked_level_and_held_beats_apart():
    assert condition(BEATS, BEATS + 0.01) == "same level"
    assert condition(BEATS, BEATS[::2]) == "other level"
    assert condition(BEATS, np.arange(0.0, 12.0, 0.75)) == "other level"
    held = np.concatenate([BEATS[:8], BEATS[7] + 1.0 + BEATS[:8] - BEATS[0]])
    assert condition(held, BEATS) == "held beats"


def test_beat_fmeasure_rewards_beats_within_the_window_only():
    assert beat_fmeasure(BEATS, BEATS + 0.03) == pytest.approx(1.0)
    assert beat_fmeasure(BEATS, BEATS + 0.25) == 0.0
    assert beat_fmeasure(BEATS, BEATS[::2]) == pytest.approx(2 / 3, abs=0.02)


def test_needs_beats_follows_shared_analyses():
    assert needs_beats(registry.signal_module("bar_repetition").NEEDS)
    assert needs_beats(registry.signal_module("onset_mlp").NEEDS)
    assert not needs_beats(registry.signal_module("madmom").NEEDS)
    assert not needs_beats(("audio", "chroma"))


def test_annotated_beats_replace_the_tracked_ones_and_nothing_beat_dependent_is_cached(
        tmp_path, write_audio):
    path = write_audio("clicks.wav", click_track(duration=8.0))
    cache = Cache(tmp_path / "cache")
    features = []
    for period in (0.5, 1.0):
        times = np.arange(0.0, 8.0, period)
        analysis = AnnotatedBeatAnalysis(path, cache, times)
        assert np.array_equal(analysis["beats"]["times"], times)
        features.append(analysis["onset_features"]["features"])
    assert not np.allclose(features[0], features[1])
    key = cache.audio_key(path)
    assert cache.get("onset", analysis_version("onset"), key) is not None
    assert cache.get("onset_features", analysis_version("onset_features"),
                     key) is None
    assert cache.get("beats", analysis_version("beats"), key) is None


def test_by_condition_summarises_every_group():
    meters = np.array([3, 3, 4, 4])
    probabilities = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    conditions = np.array(["same level", "other level", "same level", "other level"])
    summary = by_condition(meters, probabilities, [3, 4], conditions)
    assert (summary["all"]["correct"], summary["all"]["n"]) == (2, 4)
    assert (summary["same level"]["correct"], summary["same level"]["n"]) == (2, 2)
    assert summary["other level"]["correct"] == 0
    assert "held beats" not in summary


PERIOD_SIGNAL = '''
"""Test signal: 4 for beats under 0.75 s apart, else 3 (it reads only the beats)."""
import numpy as np
from meterlab import config

NEEDS = ("beats",)
LIBRARIES = ()


def scores(analysis):
    result = np.zeros(len(config.CANDIDATE_METERS), dtype=np.float32)
    result[config.CANDIDATE_METERS.index(4 if analysis["beats"]["period"] < 0.75 else 3)] = 1
    return result
'''


@pytest.mark.slow
def test_script_reports_tracked_and_annotated_beats_per_condition(tmp_path, monkeypatch,
                                                                   write_audio, capsys):
    """A click track at 120 bpm annotated in half notes (a 3 of half-note beats): the
    tracker finds the quarters, so the file is at another level, and the signal that
    reads the beats is wrong with them and right with the annotation."""
    install_signal(tmp_path, monkeypatch, "period_test", source=PERIOD_SIGNAL)
    monkeypatch.setattr(registry, "SIGNALS", ("period_test",))
    (tmp_path / "audio").mkdir()
    (tmp_path / "annotations").mkdir()
    for name in ("a", "b"):
        (tmp_path / "audio" / f"{name}.wav").write_bytes(
            write_audio(f"{name}.wav", click_track(duration=10.0)).read_bytes())
    times = np.arange(0.0, 10.0, 1.0)
    write_beats(tmp_path / "annotations" / "a.beats", times, np.arange(len(times)) % 3 + 1)
    manifest = tmp_path / "songs.csv"
    manifest.write_text("path,meter,split\naudio/a.wav,3,test\naudio/b.wav,3,test\n")
    script = load_script("scripts/beat_diagnostics.py")
    assert script.main(["--dataset", "manifest", "--data-dir", str(manifest),
                        "--split", "test", "--prior", "uniform"]) == 0
    out = capsys.readouterr().out
    assert "1 files without a beat annotation left out" in out
    level = next(line for line in out.splitlines() if line.startswith("other level"))
    signal = next(line for line in out.splitlines() if line.startswith("period_test"))
    assert level.split()[2] == "1" and "0.0% -> 100.0%" in level
    assert "0.0% -> 100.0%" in signal
