"""meterlab for its users: the Python API, the `meterlab` command, the shipped models and
which model answers, library versions, and the package installed outside the clone."""
import csv
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
import torch

import meterlab
from meterlab import config
from meterlab.commands import main as command
from meterlab.engine import registry
from meterlab.engine.cache import file_digest
from meterlab.engine.scoring import analyse_file
from meterlab.evaluate.shipping import ship
from meterlab.engine.versions import producer_version, signal_version
from meterlab.learn import priors, shipped
from meterlab.learn.arbiter import Arbiter
from meterlab.learn.mlp import CheckpointError
from meterlab.learn.predictor import Origin, check_versions, current_versions, load_predictor
from meterlab.signals import onset_mlp as onset_mlp_signal
from tests.conftest import REPO, SECONDS_SIGNAL, SHIPPED_MODELS, click_track, install_signal

#: A signal that needs a library that is not installed (as BeatNet may not be).
MISSING_LIBRARY_SIGNAL = '''
NEEDS = ()
LIBRARIES = ("meterlab-test-absent",)


def scores(analysis):
    import meterlab_test_absent_library  # noqa: F401
'''


@pytest.fixture
def seconds_signal(tmp_path, monkeypatch):
    """One cheap signal, the vote (nothing trained, nothing shipped), a uniform prior."""
    monkeypatch.setattr(priors, "DEFAULT_PRIOR", priors.UNIFORM)
    install_signal(tmp_path, monkeypatch, "seconds", source=SECONDS_SIGNAL)
    monkeypatch.setattr(registry, "SIGNALS", ("seconds",))


def test_api_answers_a_file_and_an_array_alike(seconds_signal, tmp_path):
    y = click_track(5.2, beats_per_bar=3)
    path = tmp_path / "clip.wav"
    sf.write(path, y, 22050)
    from_file = meterlab.predict(str(path))
    from_array = meterlab.predict(np.stack([y, y]), sr=22050)
    assert (from_file.meter, from_file.path, from_file.error) == (5, str(path), None)
    assert (from_array.meter, from_array.path) == (5, None)
    assert from_array.probabilities == pytest.approx(from_file.probabilities)
    assert from_file.signals == {"seconds": 5}
    assert from_file.confidence == max(from_file.probabilities.values())
    assert from_file.model == "signal vote (no arbiter trained)"
    assert from_file.tempo == pytest.approx(120, rel=0.05)      # the clicks' tempo
    positions = [position for _, position in from_file.beats]
    assert set(positions) == {1, 2, 3, 4, 5}                   # bars of the predicted 5
    assert all(after == before % 5 + 1 for before, after in zip(positions, positions[1:]))
    assert from_file.downbeats == [time for time, position in from_file.beats if position == 1]
    assert sum(from_file.grouping) == 5
    with pytest.raises(ValueError, match="needs sr"):
        meterlab.predict(y)


def test_predictor_gives_each_file_its_answer_or_its_error(seconds_signal, tmp_path):
    for seconds in (3.2, 4.1):
        sf.write(tmp_path / f"{seconds}.wav", click_track(seconds), 22050)
    (tmp_path / "broken.wav").write_bytes(b"RIFF not audio")
    predictor = meterlab.Predictor(workers=2)
    answers = predictor.predict_many([tmp_path])
    assert [(answer.path.rsplit("/", 1)[1], answer.meter) for answer in answers] == [
        ("3.2.wav", 3), ("4.1.wav", 4), ("broken.wav", None)]
    assert answers[2].error and answers[0].error is None


def test_array_is_served_from_the_cache_the_second_time(seconds_signal, tmp_path):
    predictor = meterlab.Predictor(cache_dir=tmp_path / "cache")
    y = click_track(4.0)
    predictor.predict(y, sr=22050)
    cached = list((tmp_path / "cache").rglob("*.npz"))
    time.sleep(1.1)       # a second later: a format that stamps the time would change the key
    assert predictor.predict(y, sr=22050).meter == 4
    assert list((tmp_path / "cache").rglob("*.npz")) == cached and cached


def test_command_writes_json_and_csv_naming_the_model(seconds_signal, tmp_path, capsys):
    path = tmp_path / "clip.wav"
    sf.write(path, click_track(3.1), 22050)
    assert command.main(["predict", str(path), "--out", str(tmp_path / "p.json")]) == 0
    written = json.loads((tmp_path / "p.json").read_text())
    assert written["arbiter"] == "signal vote (no arbiter trained)"
    assert [(row["path"], row["predicted"]) for row in written["files"]] == [(str(path), 3)]
    assert "model: signal vote" in capsys.readouterr().out
    assert command.main(["predict", str(path), "--out", str(tmp_path / "p.csv")]) == 0
    with open(tmp_path / "p.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["path"], row["predicted"], row["top_seconds"]) for row in rows] == [
        (str(path), "3", "3")]


def test_command_version_and_unknown_output(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        command.main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("meterlab ")
    with pytest.raises(SystemExit):
        command.main(["predict", str(tmp_path / "a.wav"), "--out", str(tmp_path / "p.txt")])
    assert "--out must end in .csv or .json" in capsys.readouterr().err


def test_your_arbiter_takes_precedence_over_the_shipped_one(shipped_models, tmp_path,
                                                            monkeypatch):
    yours = tmp_path / "meter_arbiter.pt"
    monkeypatch.setattr(config, "ARBITER_CHECKPOINT", yours)
    assert load_predictor().origin.kind == "shipped"
    assert "the shipped arbiter" in load_predictor().origin.describe()
    yours.write_bytes((shipped_models / shipped.ARBITER).read_bytes())
    predictor = load_predictor()
    assert (predictor.origin.kind, predictor.path) == ("yours", yours)
    assert predictor.origin.describe().startswith(f"your arbiter {yours}")
    monkeypatch.setattr(shipped, "MODELS_DIR", tmp_path / "nothing shipped")
    yours.unlink()
    assert load_predictor().origin.kind == "vote"


def test_onset_mlp_signal_reads_your_model_else_the_shipped_one(shipped_models, tmp_path,
                                                                monkeypatch):
    yours = tmp_path / "onset_mlp.pt"
    monkeypatch.setattr(config, "ONSET_MLP_CHECKPOINT", yours)
    assert onset_mlp_signal.model_file() == shipped_models / shipped.ONSET_MLP
    shipped_version = signal_version("onset_mlp")
    yours.write_bytes(b"another model")
    producer_version.cache_clear()
    assert onset_mlp_signal.model_file() == yours
    assert signal_version("onset_mlp") != shipped_version


def test_shipped_models_fit_the_signals_code(shipped_models):
    """Red whenever a signal changes without `make ship-models` (re-train, re-commit)."""
    record = shipped.provenance()
    predictor = load_predictor()
    assert predictor.origin.kind == "shipped"
    check_versions(predictor)
    assert record["signal_versions"] == current_versions(predictor.signals,
                                                         record["libraries"])
    for name in (shipped.ARBITER, shipped.ONSET_MLP):
        size_kb = (shipped_models / name).stat().st_size / 1024
        assert size_kb < 1024, f"{name}: {size_kb:.0f} KB"
    assert {"commit", "seed", "dataset", "cross_validation", "command"} <= set(record)


def test_ship_copies_fitting_models_with_their_provenance(shipped_models, tmp_path,
                                                          monkeypatch):
    data, out = tmp_path / "data", tmp_path / "out"
    monkeypatch.setattr(config, "ARBITER_CHECKPOINT", data / shipped.ARBITER)
    monkeypatch.setattr(config, "ONSET_MLP_CHECKPOINT", data / shipped.ONSET_MLP)
    with pytest.raises(CheckpointError, match=f"{data / shipped.ARBITER}: not found"):
        ship(out, tmp_path / "runs")
    data.mkdir()
    for name in (shipped.ARBITER, shipped.ONSET_MLP):
        (data / name).write_bytes((shipped_models / name).read_bytes())
    producer_version.cache_clear()
    record = ship(out, tmp_path / "runs")
    assert json.loads((out / shipped.PROVENANCE).read_text())["files"] == record["files"] == {
        name: file_digest(shipped_models / name) for name in (shipped.ARBITER, shipped.ONSET_MLP)}
    assert record["signal_versions"] == current_versions(record["signals"])
    assert record["seed"] == 0 and record["test"] == {}
    install_signal(tmp_path, monkeypatch, "hcdf", source=SECONDS_SIGNAL)
    with pytest.raises(CheckpointError, match=r"changed since this arbiter was trained \(hcdf\)"):
        ship(tmp_path / "stale", tmp_path / "runs")
    assert not (tmp_path / "stale").exists()


def _arbiter_trained_under(libraries, tmp_path):
    """An arbiter (the shipped one's network) whose record says the ``seconds`` signal
    was computed under ``libraries``."""
    checkpoint = torch.load(SHIPPED_MODELS / shipped.ARBITER, weights_only=False)
    checkpoint["signals"] = ["seconds"]
    checkpoint["versions"] = {"seconds": signal_version("seconds", libraries)}
    return Arbiter(checkpoint, tmp_path / "arbiter.pt")


def test_other_library_versions_warn_naming_the_library(seconds_signal, tmp_path):
    trained = {"numpy": "0.0.1"}
    predictor = _arbiter_trained_under(trained, tmp_path)
    predictor.origin = Origin("shipped", predictor.path, trained)
    warnings = check_versions(predictor)
    assert len(warnings) == 1 and warnings[0].startswith(f"numpy {np.__version__} is installed")
    assert "trained with numpy 0.0.1" in warnings[0]
    predictor.origin = Origin("yours", predictor.path)
    with pytest.raises(CheckpointError, match="changed since this arbiter was trained"):
        check_versions(predictor)


def test_changed_code_is_refused_whatever_the_libraries(seconds_signal, tmp_path,
                                                       monkeypatch):
    trained = {"numpy": "0.0.1"}
    predictor = _arbiter_trained_under(trained, tmp_path)
    predictor.origin = Origin("shipped", predictor.path, trained)
    install_signal(tmp_path, monkeypatch, "seconds", source=SECONDS_SIGNAL + "\nCHANGED = 1\n")
    with pytest.raises(CheckpointError, match=r"\(seconds\)"):
        check_versions(predictor)


def test_a_missing_library_makes_its_signal_unavailable_not_failed(tmp_path, monkeypatch,
                                                                 write_audio):
    install_signal(tmp_path, monkeypatch, "needs_absent", source=MISSING_LIBRARY_SIGNAL)
    monkeypatch.setattr(registry, "SIGNALS", ("needs_absent",))
    audio = write_audio("clicks.wav", click_track())
    result = analyse_file(audio, signals=("needs_absent",), cache_root=tmp_path / "cache")
    assert result.failed == {}
    assert result.unavailable == {
        "needs_absent": "needs the meterlab_test_absent_library module, which is not installed"}
    assert not list((tmp_path / "cache").glob("signal-needs_absent/**/*.npz"))


@pytest.mark.slow
def test_pip_install_outside_the_clone_predicts_with_the_shipped_model(tmp_path):
    """`pip install` of the clone (no deps: this venv has them), then the command and the
    API from a folder outside the clone, with no data folder: the shipped model answers."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(REPO)], check=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    sf.write(work / "song.wav", click_track(8.0, beats_per_bar=3), 22050)
    env = {key: value for key, value in os.environ.items()
           if key not in ("METERLAB_DATA", "PYTHONPATH")}
    env.update(PYTHONPATH=str(target), XDG_CACHE_HOME=str(tmp_path / "user-cache"))
    api = subprocess.run(
        [sys.executable, "-c", "import meterlab, meterlab.config as c; "
         "r = meterlab.predict('song.wav'); print(meterlab.__file__, c.DATA_DIR, r.meter, "
         "r.model, sep='\\n')"], cwd=work, env=env, capture_output=True, text=True)
    assert api.returncode == 0, api.stderr
    module, data_dir, meter, model = api.stdout.strip().splitlines()[-4:]
    assert module.startswith(str(target)) and data_dir == str(tmp_path / "user-cache" / "meterlab")
    assert meter in {"3", "4", "5", "7"} and model.startswith("the shipped arbiter")
    run = subprocess.run([str(target / "bin" / "meterlab"), "predict", "song.wav", "--out",
                          "p.json"], cwd=work, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    written = json.loads((work / "p.json").read_text())
    assert written["arbiter"].startswith("the shipped arbiter")
    assert written["files"][0]["predicted"] == int(meter)
