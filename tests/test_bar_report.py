"""The beat report: a prediction's beats and grouping judged against what is known."""
import json
from pathlib import Path

import numpy as np
import pytest

from meterlab import bar_report
from meterlab.bar_report import known_groupings, saved_meters, summary_rows
from meterlab.bars import bar_answer
from meterlab.data.datasets import Entry
from meterlab.data.layout import annotation_path, write_beats
from tests.test_bar_decoding import FPS, activations
from tests.test_bar_model import analysis_with_bars


def test_answer_gives_tempo_beats_downbeats_and_the_accented_grouping():
    values, truth = activations(24.0, 0.5, 7, first_position=3)
    starts = truth[np.isin(truth[:, 1], [3, 5]), 0]           # 2+2+3: groups start at 3, 5
    frames = np.round(starts * FPS).astype(int)
    values[frames] = [0.6, 0.3]                               # softmax outputs: sum <= 1
    answer = bar_answer({"tracker_activations": {"activations": values, "fps": FPS}}, 7,
                        source="tracker_activations")
    assert answer["tempo"] == pytest.approx(120.0, rel=0.01)
    assert [p for _, p in answer["beats"]] == truth[:, 1].tolist()
    assert answer["downbeats"] == pytest.approx(truth[truth[:, 1] == 1, 0].tolist(), abs=0.015)
    assert answer["grouping"] == [2, 2, 3]


def test_silence_gives_no_tempo_and_no_grouping():
    answer = bar_answer({"tracker_activations": {"activations": np.zeros((2000, 2), np.float32),
                                                 "fps": FPS}}, 5, source="tracker_activations")
    assert answer == {"tempo": None, "beats": [], "downbeats": [], "grouping": None}


def test_the_reported_beats_are_the_tracked_beats_numbered_by_the_bar_model(committed_bar_model):
    """Predictions number the shared beats from the bar model's downbeats (chosen on
    validation downbeats), not a DBN's decoding of the activations."""
    analysis = analysis_with_bars(3)
    analysis["beats"]["times"] = analysis["beats"]["times"] + 0.013  # off the activation frames
    answer = bar_answer(analysis, 3)
    times = analysis["beats"]["times"]
    assert [t for t, _ in answer["beats"]] == pytest.approx(times.tolist(), abs=1e-3)
    assert answer["downbeats"] == pytest.approx(times[0::3].tolist(), abs=1e-3)


def test_the_beat_report_reads_the_bar_models_downbeats(tmp_path, monkeypatch, committed_bar_model):
    analysis = analysis_with_bars(4)
    times = analysis["beats"]["times"]
    monkeypatch.setattr(bar_report, "FileAnalysis", lambda path, cache: analysis)
    audio = tmp_path / "audio" / "a.flac"
    annotation_path(audio).parent.mkdir()
    write_beats(annotation_path(audio), times, np.arange(len(times)) % 4 + 1)
    assert bar_report.file_report((str(audio), 4, tmp_path / "cache", "bar_model"))["downbeat_f"] == 1.0
    assert bar_report.file_report((str(audio), 2, tmp_path / "cache", "bar_model"))["downbeat_f"] < 0.7


@pytest.mark.parametrize("source", ["tracker_activations", "madmom_activations"])
def test_the_beat_report_decodes_the_activations_it_is_given(tmp_path, monkeypatch, source):
    right, truth = activations(24.0, 0.5, 4)
    wrong, _ = activations(24.0, 0.5, 4, first_position=3)
    analysis = {name: {"activations": right if name == source else wrong, "fps": FPS}
                for name in ("tracker_activations", "madmom_activations")}
    monkeypatch.setattr(bar_report, "FileAnalysis", lambda path, cache: analysis)
    audio = tmp_path / "audio" / "a.flac"
    annotation_path(audio).parent.mkdir()
    write_beats(annotation_path(audio), truth[:, 0], truth[:, 1])
    report = bar_report.file_report((str(audio), 4, tmp_path / "cache", source))
    assert report["downbeat_f"] == pytest.approx(1.0)


def corpus(tmp_path, clips):
    (tmp_path / "audio").mkdir()
    (tmp_path / "corpus.json").write_text(json.dumps({"clips": clips}))
    return [Entry(tmp_path / "audio" / f"{name}.flac", sum(grouping), "test", name)
            for name, grouping in ((n, c["grouping"]) for n, c in clips.items())]


def test_a_mispredicted_meter_counts_its_grouping_wrong(tmp_path):
    entries = corpus(tmp_path, {"m5_0": {"grouping": [3, 2]}, "m5_1": {"grouping": [2, 3]},
                                "m7_0": {"grouping": [2, 3, 2]}})
    groupings = known_groupings(entries)
    assert groupings == {str(entries[0].path): (3, 2), str(entries[1].path): (2, 3),
                         str(entries[2].path): (2, 3, 2)}
    reports = [{"downbeat_f": 1.0, "grouping": {"downbeat": (3, 2)}},
               {"downbeat_f": 0.5, "grouping": {"downbeat": (2, 3)}},
               {"downbeat_f": 0.0, "grouping": {"downbeat": (2, 3, 2)}}]
    rows = {row[0]: row[1:] for row in summary_rows(entries, [5, 5, 4], reports, groupings)}
    assert rows["downbeat F-measure (mir_eval, ±70 ms)"] == [3, "0.500"]
    assert rows["grouping of 5, downbeat accents (used)"] == [2, "100.0%"]
    assert rows["grouping of 7, downbeat accents (used)"] == [1, "0.0%"]


def test_saved_meters_are_matched_by_file_name(tmp_path):
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"files": [{"path": "/elsewhere/audio/a.flac", "predicted": 5},
                                         {"path": "/elsewhere/audio/b.flac", "predicted": None}]}))
    entries = [Entry(Path(f"/here/audio/{name}.flac"), 5, "test", name) for name in "abc"]
    assert saved_meters(entries, run) == [5, None, None]
    run.write_text(json.dumps({"files": [{"path": "/x/a.flac", "predicted": 5},
                                         {"path": "/y/a.flac", "predicted": 3}]}))
    with pytest.raises(ValueError, match="two files named a.flac"):
        saved_meters(entries, run)
