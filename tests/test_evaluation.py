"""Metrics, eval runs, the baseline rule, and eval's refusal of a stale arbiter."""
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from meterlab import cli, config
from meterlab.evaluate import metrics, reference, runs
from meterlab.engine import registry
from meterlab.learn.arbiter import Arbiter, VoteArbiter
from meterlab.data.datasets import Entry
from meterlab.evaluate.evaluation import EvalRun, evaluate
from meterlab.learn.predictor import check_versions, current_versions
from meterlab.learn.mlp import CheckpointError
from tests.conftest import click_track, install_signal


def test_summary_counts_failures_as_wrong():
    truth = [3, 3, 4, 4, 5]
    probabilities = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.1, 0.9, 0.0],
                              [0.6, 0.3, 0.1], [np.nan] * 3])
    summary = metrics.summary(truth, probabilities, [3, 4, 5])
    assert (summary["n"], summary["correct"], summary["failed"]) == (5, 2, 1)
    assert summary["accuracy"] == pytest.approx(0.4)
    assert summary["per_class"] == {3: 0.5, 4: 0.5, 5: 0.0}
    assert summary["balanced_accuracy"] == pytest.approx(1 / 3)
    assert summary["confusion"] == [[1, 1, 0], [1, 1, 0], [0, 0, 0]]
    assert summary["binary_3v4_n"] == 4 and summary["binary_3v4_accuracy"] == 0.5


def test_binary_decides_between_three_and_four_only():
    summary = metrics.summary([3, 4], np.array([[0.3, 0.2, 0.5], [0.1, 0.3, 0.6]]), [3, 4, 7])
    assert summary["accuracy"] == 0.0 and summary["binary_3v4_accuracy"] == 1.0


def _run(correct_paths, all_paths, split="test", dataset="corpus"):
    return EvalRun(split=split, dataset=dataset, files=[
        {"path": p, "meter": 4, "predicted": 4 if p in correct_paths else 3} for p in all_paths],
        metrics={"accuracy": len(correct_paths) / len(all_paths)})


def test_baseline_is_replaced_only_by_a_better_run_on_the_same_files(tmp_path):
    files = ["a", "b", "c", "d"]
    assert runs.save_baseline(_run({"a", "b"}, files), tmp_path)[0]
    saved, reason = runs.save_baseline(_run({"a"}, files), tmp_path)
    assert not saved and "does not beat" in reason
    saved, reason = runs.save_baseline(_run({"a", "b", "c"}, files, split="tuning"), tmp_path)
    assert not saved and "another split or file set" in reason
    better = _run({"b", "c", "d"}, files)
    comparison = runs.compare(better, runs.load_baseline("corpus", tmp_path))
    assert comparison["improved"] == ["c", "d"] and comparison["regressed"] == ["a"]
    assert runs.save_baseline(better, tmp_path)[0]
    assert runs.load_baseline("corpus", tmp_path).metrics["accuracy"] == 0.75
    saved, reason = runs.save_baseline(_run({"x"}, ["x", "y"], dataset="scores"), tmp_path)
    assert saved and "no baseline yet" in reason
    assert runs.load_baseline("corpus", tmp_path).metrics["accuracy"] == 0.75


def test_run_is_saved_with_a_confusion_plot(tmp_path):
    run = EvalRun(split="test", dataset="corpus",
                  metrics=metrics.summary([3, 4], np.eye(2), [3, 4]))
    path = runs.save_run(run, tmp_path)
    png = path.with_name(path.stem + "-confusion.png")
    assert path.is_file() and png.read_bytes().startswith(b"\x89PNG")
    found, loaded = runs.latest_run("corpus", tmp_path)
    assert found == path and isinstance(loaded, EvalRun)
    assert (loaded.split, loaded.metrics["accuracy"]) == ("test", 1.0)


def test_eval_lists_bad_files_and_keeps_them_in_the_denominator(tmp_path, monkeypatch,
                                                                write_audio):
    install_signal(tmp_path, monkeypatch, "fake_eval")
    monkeypatch.setattr(registry, "SIGNALS", ("fake_eval",))
    good = write_audio("good.wav", click_track())
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    entries = [Entry(good, 4, "test", "good"), Entry(empty, 3, "test", "empty")]
    run = evaluate(entries, VoteArbiter(("fake_eval",), (3, 4)), progress=False,
                   cache_root=tmp_path / "cache")
    assert run.metrics["n"] == 2 and run.metrics["failed"] == 1
    failed = [record for record in run.files if record["error"]]
    assert len(failed) == 1 and "empty.wav" in failed[0]["error"] and "empty" in failed[0]["error"]


@pytest.mark.parametrize("workers", [1, 2])
def test_an_odd_error_in_the_reference_is_one_failed_file_not_the_end_of_eval(
        tmp_path, monkeypatch, write_audio, workers):
    install_signal(tmp_path, monkeypatch, "fake_eval")
    monkeypatch.setattr(registry, "SIGNALS", ("fake_eval",))
    good = write_audio("good.wav", click_track())
    odd = write_audio("odd.wav", click_track(bpm=100))

    def compute(analysis):
        if analysis.path.name == "odd.wav":
            raise RuntimeError("activations of a strange shape")
        return {"log_probs": np.arange(len(config.CANDIDATE_METERS), dtype=np.float64)}

    monkeypatch.setattr(reference, "compute", compute)
    entries = [Entry(good, 4, "test", "good"), Entry(odd, 3, "test", "odd")]
    run = evaluate(entries, VoteArbiter(("fake_eval",), (3, 4)), workers=workers,
                   progress=False, cache_root=tmp_path / "cache")
    by_name = {Path(record["path"]).name: record for record in run.files}
    assert by_name["good.wav"]["reference"] == 4 and by_name["good.wav"]["reference_error"] is None
    assert by_name["odd.wav"]["reference"] is None
    assert by_name["odd.wav"]["reference_error"] == (
        f"{odd}: madmom DBN reference failed: RuntimeError: activations of a strange shape")
    assert run.reference["n"] == 2 and run.reference["failed"] == 1
    assert run.metrics["n"] == 2 and run.metrics["failed"] == 0


def test_eval_accepts_an_arbiter_of_the_current_signal_code_and_refuses_it_after_a_change(
        tmp_path, monkeypatch):
    install_signal(tmp_path, monkeypatch, "fake_eval")
    monkeypatch.setattr(registry, "SIGNALS", ("fake_eval",))
    from tests.test_arbiter import synthetic_table
    from meterlab.learn import arbiter
    table = synthetic_table(n_per_class=4, signals=("fake_eval",))
    table.versions = current_versions(("fake_eval",))       # as extract records them
    path = tmp_path / "arbiter.pt"
    arbiter.save(arbiter.train(table, arbiter.ArbiterSettings({}, epochs=3)), path)
    accepted = cli.load_checked_predictor(path)
    assert accepted.signals == ("fake_eval",) and accepted.path == path
    install_signal(tmp_path, monkeypatch, "fake_eval", factor=2.0)   # its code is edited
    with pytest.raises(SystemExit, match=f"{path}: signal code or models changed since this "
                                         r"arbiter was trained \(fake_eval\)"):
        cli.load_checked_predictor(path)


def test_eval_refuses_an_arbiter_reading_a_signal_that_no_longer_exists(tmp_path,
                                                                       monkeypatch):
    install_signal(tmp_path, monkeypatch, "fake_eval")
    monkeypatch.setattr(registry, "SIGNALS", ("fake_eval",))
    from tests.test_arbiter import synthetic_table
    from meterlab.learn import arbiter
    table = synthetic_table(n_per_class=4, signals=("fake_eval", "retired"))
    checkpoint = arbiter.train(table, arbiter.ArbiterSettings({}, epochs=3))
    predictor = Arbiter(checkpoint, path=tmp_path / "arbiter.pt")
    with pytest.raises(CheckpointError, match=f"{tmp_path / 'arbiter.pt'}: this arbiter reads "
                                              r"signal\(s\) that no longer exist \(retired;"):
        check_versions(predictor)


def test_alt_meter_accuracy_is_reported_beside_the_strict_one():
    probabilities = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.1, 0.6, 0.3],
                              [np.nan] * 3])
    summary = metrics.summary([3, 3, 3, 4], probabilities, [3, 4, 6], [6, None, 6, 6])
    assert (summary["correct"], summary["accuracy"]) == (1, 0.25)
    assert (summary["alt_n"], summary["correct_with_alt"]) == (3, 2)
    assert summary["accuracy_with_alt"] == 0.5
    assert "accuracy_with_alt" not in metrics.summary([3], np.array([[1.0, 0, 0]]), [3, 4, 6],
                                                      [None])


def test_eval_prints_accuracy_per_source(tmp_path, monkeypatch, write_audio, capsys):
    from tests.conftest import load_script
    install_signal(tmp_path, monkeypatch, "fake_eval")
    monkeypatch.setattr(registry, "SIGNALS", ("fake_eval",))
    entries = [Entry(write_audio(f"{name}.wav", click_track(duration=4 + i)), meter, "test",
                     name, source, alt)
               for i, (name, meter, source, alt) in enumerate([
                   ("f1", 3, "FMA", None), ("f2", 4, "FMA", 3), ("m1", 3, "MAG", None),
                   ("m2", 3, "MAG", None), ("m3", 4, "MAG", None)])]
    run = evaluate(entries, VoteArbiter(("fake_eval",), (3, 4)), progress=False,
                   cache_root=tmp_path / "cache")
    assert {source: (s["n"], s["correct"]) for source, s in run.per_source.items()} == {
        "FMA": (2, 1), "MAG": (3, 2)}
    assert run.per_source["FMA"]["accuracy_with_alt"] == 1.0
    assert [record["source"] for record in run.files] == ["FMA"] * 2 + ["MAG"] * 3
    run = dataclasses.replace(run, split="test", dataset="meter2800")
    load_script("scripts/eval.py").print_report(run)
    printed = capsys.readouterr().out
    lines = [line.split() for line in printed.splitlines()]
    reference = {source: f"{s['accuracy']:.1%}" for source, s in run.reference_per_source.items()}
    assert ["FMA", "2", "1/2", "50.0%", "50.0%", "0", reference["FMA"], "100.0%"] in lines
    assert ["MAG", "3", "2/3", "66.7%", "50.0%", "0", reference["MAG"]] in lines
    assert ["arbiter,", "prior", "meter2800", "3/5", "60.0%", "50.0%", "100.0%", "0.0%",
            "60.0%"] in lines
    assert "accuracy with alt_meter also right: 4/5 (80.0%)" in printed
    assert "\nmadmom DBN reference, beats_per_bar=[3, 4] " in printed
