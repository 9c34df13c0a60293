"""predict.py on a user's own audio: folders of good and bad files, manifests, outputs."""
import csv
import json
import re

import numpy as np
import pytest
import soundfile as sf
import torch

from meterlab import formats
from meterlab.data.layout import read_beats
from meterlab.learn import priors
from meterlab.thirdparty import ffmpeg
from meterlab.data.build.corpus.bad_files import BAD_FILES as BAD, write_bad_files
from meterlab.engine import registry
from tests.conftest import SECONDS_SIGNAL, click_track, install_signal, load_script

GOOD = {"three.wav": 3, "four.flac": 4, "sub/five.ogg": 5, "sub/deeper/seven.mp3": 7,
        "sub/four.m4a": 4}


@pytest.fixture
def predict_script(tmp_path, monkeypatch):
    """predict.py with one cheap signal, voting (no arbiter trained), and the vote's
    probabilities as they come (uniform prior: these tests are about files)."""
    monkeypatch.setattr(priors, "DEFAULT_PRIOR", priors.UNIFORM)
    module = install_signal(tmp_path, monkeypatch, "seconds", source=SECONDS_SIGNAL)
    monkeypatch.setattr(registry, "SIGNALS", ("seconds",))
    script = load_script("scripts/predict.py")
    script.signal_module = module
    return script


def write(path, seconds, **kwargs):
    """A click track lasting ``seconds`` at ``path``, in the format its extension names
    (through ffmpeg for those libsndfile does not write, as AAC in ``.m4a``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in formats.FFMPEG_AUDIO:
        ffmpeg.encode(write(path.with_suffix(".wav"), seconds, **kwargs), path)
        path.with_suffix(".wav").unlink()
        return path
    sf.write(path, click_track(seconds), 22050, **kwargs)
    return path


@pytest.fixture
def mixed_folder(tmp_path):
    """Good files in five formats and subfolders, every kind of bad file, and non-audio."""
    folder = tmp_path / "music"
    for name, meter in GOOD.items():
        write(folder / name, meter + 0.2)
    write_bad_files(folder)
    (folder / "README.txt").write_text("liner notes")
    (folder / "sub/cover.jpg").write_bytes(b"\xff\xd8\xff")
    return folder


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_folder_gives_a_row_per_audio_file_with_meter_or_cause(predict_script, mixed_folder,
                                                                tmp_path, capsys):
    out = tmp_path / "predictions.csv"
    assert predict_script.main([str(mixed_folder), "--out", str(out), "-w", "2"]) == 0
    rows = {row["path"][len(str(mixed_folder)) + 1:]: row for row in read_csv(out)}
    assert sorted(rows) == sorted([*GOOD, *BAD])
    assert list(read_csv(out)[0]) == ["path", "predicted", "confidence", "p_3", "p_4", "p_5",
                                      "p_7", "tempo", "grouping", "top_seconds", "seconds",
                                      "error"]
    for name, meter in GOOD.items():
        row = rows[name]
        probabilities = [float(row[f"p_{m}"]) for m in (3, 4, 5, 7)]
        assert (int(row["predicted"]), int(row["top_seconds"]), row["error"]) == (meter, meter, "")
        assert sum(probabilities) == pytest.approx(1, abs=1e-3)
        assert float(row["seconds"]) > 0                   # how long the file took
        assert float(row["confidence"]) == max(probabilities) == pytest.approx(0.4, abs=1e-3)
    for name, cause in BAD.items():
        assert cause in rows[name]["error"], (name, rows[name]["error"])
        assert rows[name]["predicted"] == rows[name]["p_3"] == rows[name]["top_seconds"] == ""
    output = capsys.readouterr()
    assert ["could", "not", "be", "analysed", "10", "67%"] in [
        line.split() for line in output.out.splitlines()]
    assert "15 rows written to" in output.out
    assert "not audio, ignored: 2 files (.jpg x1, .txt x1)" in output.err


def test_second_run_is_served_from_the_cache(predict_script, mixed_folder, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    predict_script.main([str(mixed_folder), "--out", str(first)])

    def no_recomputation(analysis):
        analysis.audio()                      # bad files are named again, as by any signal
        raise AssertionError("the signal ran again")

    predict_script.signal_module.scores = no_recomputation
    predict_script.main([str(mixed_folder), "--out", str(second)])
    records, before = json.loads(second.read_text()), json.loads(first.read_text())
    for record in records["files"] + before["files"]:
        record.pop("seconds")                 # how long it took: the second run is quicker
    assert before == records
    assert records["arbiter"].startswith("signal vote") and records["classes"] == [3, 4, 5, 7]
    answers = {record["path"].rsplit("/", 1)[1]: record for record in records["files"]}
    assert len(answers) == 15
    assert answers["seven.mp3"]["predicted"] == 7 and answers["seven.mp3"]["signals"] == {
        "seconds": 7}
    assert answers["seven.mp3"]["probabilities"]["7"] == pytest.approx(0.4, abs=1e-3)
    assert "too short" in answers["short.wav"]["error"]


def test_prior_moves_weak_answers_and_is_recorded(predict_script, tmp_path):
    """The vote puts 0.4 on 7 and 0.2 on each other class for a 7 s file: METER2800's
    shares (7 at 1/14, 3 and 4 at 3/7) move it to 3; a prior favouring 7 keeps it."""
    song = write(tmp_path / "song.wav", 7.2)
    out = tmp_path / "p.json"
    predict_script.main([str(song), "--out", str(out), "--prior", "meter2800"])
    record = json.loads(out.read_text())
    assert record["files"][0]["predicted"] == 3
    assert record["prior"] == "meter2800 (3: 43%, 4: 43%, 5: 7%, 7: 7%)"
    predict_script.main([str(song), "--out", str(out), "--prior", "3:1,4:1,5:1,7:2"])
    assert json.loads(out.read_text())["files"][0]["probabilities"]["7"] == pytest.approx(
        0.8 / 1.4, abs=1e-3)
    with pytest.raises(SystemExit, match="gives no share for class 5, 7"):
        predict_script.main([str(song), "--prior", "3:1,4:1"])


def test_manifest_with_meters_reports_agreement(predict_script, tmp_path, capsys):
    write(tmp_path / "a.wav", 4.2)
    write(tmp_path / "b.wav", 5.2)
    manifest = tmp_path / "songs.csv"
    manifest.write_text("path,meter\na.wav,4\nb.wav,7\nmissing.wav,3\n")
    out = tmp_path / "p.csv"
    predict_script.main([str(manifest), "--out", str(out)])
    rows = read_csv(out)
    assert [(row["meter"], row["predicted"]) for row in rows] == [("4", "4"), ("7", "5"),
                                                                   ("3", "")]
    assert "file not found" in rows[2]["error"]
    assert "agrees with the given meter on 1 of 2 files (50%)" in capsys.readouterr().out


def test_manifest_row_with_a_bad_label_gets_its_row_and_cause(predict_script, tmp_path,
                                                              capsys):
    for name in ("a.wav", "b.wav", "c.wav"):
        write(tmp_path / name, 4.2)
    manifest = tmp_path / "songs.csv"
    manifest.write_text("path,meter,split\na.wav,4,\nb.wav,four,\nc.wav,4,someday\n")
    out = tmp_path / "p.csv"
    predict_script.main([str(manifest), "--out", str(out)])
    rows = read_csv(out)
    assert [(row["path"], row["predicted"]) for row in rows] == [
        (str(tmp_path / "a.wav"), "4"), (str(tmp_path / "b.wav"), ""),
        (str(tmp_path / "c.wav"), "")]
    assert rows[1]["error"] == f"{manifest}:3: meter 'four' is not a number of beats per bar"
    assert rows[2]["error"] == f"{manifest}:4: unknown split 'someday'"
    assert "skipped manifest rows" not in capsys.readouterr().err


def test_another_models_checkpoint_is_refused_naming_the_file(predict_script, tmp_path):
    song = write(tmp_path / "song.wav", 4.2)
    onset_mlp = tmp_path / "onset_mlp.pt"
    torch.save({"format": 1, "classes": [3, 4], "n_features": 2, "full": {}, "folds": [],
                "fold_of": {}}, onset_mlp)
    with pytest.raises(SystemExit, match=f"error: {onset_mlp}: not an arbiter checkpoint "
                                         r"\(no signals, versions, standardiser"):
        predict_script.main([str(song), "--checkpoint", str(onset_mlp)])


def test_one_file_shows_probabilities_and_signals(predict_script, tmp_path, capsys):
    song = write(tmp_path / "song.wav", 7.2)
    predict_script.main([str(song)])
    out = capsys.readouterr().out
    assert re.search(f"{re.escape(str(song))}: 7 beats per bar \\(confidence 40%; "
                     r"\d+\.\d s\)", out)
    assert ["seconds", "7"] in [line.split() for line in out.splitlines()]


def test_long_lists_show_the_first_rows_and_where_the_rest_went(predict_script, mixed_folder,
                                                                capsys):
    predict_script.main([str(mixed_folder), "--show", "3"])
    out = capsys.readouterr().out
    assert "... 12 more files not shown (--out FILE.csv keeps them all)" in out
    assert "3 beats per bar" in out and "4 beats per bar" in out


def test_nothing_predicted_is_an_error(predict_script, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    bad = write_bad_files(folder)
    out = tmp_path / "p.json"
    with pytest.raises(SystemExit, match=f"none of the {len(bad)} files could be analysed"):
        predict_script.main([str(folder), "--out", str(out)])
    assert all(record["error"] for record in json.loads(out.read_text())["files"])
    for path in bad:
        path.unlink()
    with pytest.raises(SystemExit, match="no audio files in"):
        predict_script.main([str(folder)])
    with pytest.raises(SystemExit):
        predict_script.main([str(folder), "--out", str(tmp_path / "p.txt")])


def test_records_show_the_beats_tempo_and_grouping_of_the_predicted_meter(predict_script,
                                                                         tmp_path):
    song = tmp_path / "seven.wav"
    sf.write(song, click_track(7.2, bpm=120.0, beats_per_bar=7), 22050)
    write(tmp_path / "bad.wav", 0.0)
    out, folders = tmp_path / "p.json", {kind: tmp_path / kind for kind in ("b", "j", "p")}
    assert predict_script.main([str(song), str(tmp_path / "bad.wav"), "--out", str(out),
                                "--beats-dir", str(folders["b"]), "--jams-dir", str(folders["j"]),
                                "--plot-dir", str(folders["p"])]) == 0
    answer, bad = json.loads(out.read_text())["files"]
    assert answer["predicted"] == 7
    assert answer["tempo"] == pytest.approx(120.0, rel=0.02)
    times = [time for time, _ in answer["beats"]]
    assert np.diff(times) == pytest.approx(0.5, abs=0.03)
    assert {position for _, position in answer["beats"]} <= set(range(1, 8))
    assert answer["downbeats"] == [time for time, position in answer["beats"] if position == 1]
    assert answer["grouping"] is None or sum(answer["grouping"]) == 7
    assert (bad["tempo"], bad["beats"], bad["downbeats"], bad["grouping"]) == (None, [], [], None)
    assert [sorted(p.name for p in folder.iterdir()) for folder in folders.values()] == [
        ["seven.beats"], ["seven.jams"], ["seven.png"]]
    times, positions = read_beats(folders["b"] / "seven.beats")
    assert [[t, p] for t, p in zip(times.tolist(), positions.tolist())] == answer["beats"]
