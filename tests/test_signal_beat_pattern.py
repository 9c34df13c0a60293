"""The beat_pattern signal on drumless audio whose bar shows only in bass and harmony."""
import numpy as np
import pytest

from meterlab import config
from meterlab.engine.file_analysis import Unavailable
from meterlab.engine.scoring import analyse_file
from meterlab.signals import beat_pattern
from tests.conftest import load_script

SR = config.SAMPLE_RATE
BPM = 150.0
DURATION = 18.0
#: Triads (MIDI notes) cycled through bar by bar: C, F, G, A minor.
TRIADS = ((60, 64, 67), (65, 69, 72), (67, 71, 74), (57, 60, 64))


def tone(midi_note, seconds):
    """A plucked tone: three harmonics decaying from a sharp attack."""
    t = np.arange(int(seconds * SR)) / SR
    frequency = 440.0 * 2 ** ((midi_note - 69) / 12)
    partials = sum(np.sin(2 * np.pi * h * frequency * t) / h for h in (1, 2, 3))
    return partials * np.exp(-t / 0.15)


def drumless_bars(beats_per_bar, duration=DURATION, bpm=BPM):
    """Every beat the same loudness; the triad changes at the bar and its root sounds in
    the bass on the downbeat only, two octaves down. Nothing is accented."""
    beat = 60.0 / bpm
    y = np.zeros(int(duration * SR))
    for index, start in enumerate(np.arange(0.0, duration - beat, beat)):
        triad = TRIADS[(index // beats_per_bar) % len(TRIADS)]
        notes = list(triad)
        if index % beats_per_bar == 0:
            notes.append(triad[0] - 24)
        sound = sum(tone(note, beat) for note in notes)
        sound /= np.max(np.abs(sound))
        first = int(start * SR)
        y[first:first + len(sound)] += 0.5 * sound
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    import soundfile as sf

    folder = tmp_path_factory.mktemp("beat_pattern")
    results = {}
    for meter in (3, 4, 5, 7):
        path = folder / f"bars{meter}.wav"
        sf.write(path, drumless_bars(meter), SR)
        results[meter] = analyse_file(path, signals=("beat_pattern",), cache_root=folder / "cache")
    return folder, results


@pytest.mark.parametrize("meter", [3, 4, 5, 7])
def test_prefers_the_bar_of_bass_and_harmony(analysed, meter):
    result = analysed[1][meter]
    assert result.error is None and not result.failed and not result.unavailable
    scores = result.scores["beat_pattern"]
    assert scores.shape == (len(config.CANDIDATE_METERS),)
    assert np.all(np.isfinite(scores)) and np.all(scores >= 0)
    among = {m: scores[config.CANDIDATE_METERS.index(m)] for m in config.DEFAULT_CLASSES}
    assert max(among, key=among.get) == meter


class FewBeats(dict):
    """An analysis holding only beats: enough for the signal to decline."""


def test_declines_too_few_beats():
    analysis = FewBeats(beats={"times": np.arange(5) * 0.5, "period": 0.5})
    with pytest.raises(Unavailable, match="only 5 beats"):
        beat_pattern.scores(analysis)


def test_beat_means_average_each_span():
    frames = np.arange(10, dtype=float)[None, :]
    means = beat_pattern.beat_means(frames, np.array([0.0, 4.0, 10.0]))
    assert means.tolist() == [[1.5, 6.5]]


def test_change_is_zero_for_repeats_and_one_for_disjoint_vectors():
    vectors = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert beat_pattern.change(vectors).tolist() == [0.0, 0.0, 1.0]


def test_signal_accuracy_script_reports_the_signal_alone(analysed, capsys):
    folder = analysed[0]
    (folder / "manifest.csv").write_text(
        "path,meter,split\n" + "".join(f"bars{m}.wav,{m},test\n" for m in (3, 4, 5, 7)))
    script = load_script("scripts/signal_accuracy.py")
    assert script.main(["--dataset", "manifest", "--data-dir", str(folder / "manifest.csv"),
                        "--signals", "beat_pattern"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines()
               if line.startswith("beat_pattern"))
    assert row.split()[1:5] == ["100%", "4/4", "100.0%", "100.0%"]
    assert row.endswith("100.0% of 2")
