"""Arbiter training, the grid, and the guarantees around them (seeding, no test leakage)."""
import io
import json
import re
from collections import Counter
import multiprocessing
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch

from meterlab.learn import arbiter, calibration, grid
from meterlab import config
from meterlab.learn.arbiter import Arbiter, ArbiterSettings, VoteArbiter
from tests.conftest import load_script
from meterlab.learn.extract import CoverageError, Extraction, check_coverage
from meterlab.learn.table import ScoreTable, select_signals

CLASSES = (3, 4, 5, 7)


def synthetic_table(n_per_class=30, seed=0, signals=("alpha", "beta")):
    """Two noisy signals that point at the true meter more often than not."""
    rng = np.random.default_rng(seed)
    meters = np.repeat(CLASSES, n_per_class)
    scores = rng.random((len(meters), len(signals), len(config.CANDIDATE_METERS))) * 0.5
    for i, meter in enumerate(meters):
        for j in range(len(signals)):
            hit = meter if rng.random() < 0.8 else rng.choice(CLASSES)
            scores[i, j, config.CANDIDATE_METERS.index(hit)] += 1.0
    available = np.ones((len(meters), len(signals)), dtype=bool)
    song_ids = [f"song{i:03d}" for i in range(len(meters))]
    return ScoreTable(tuple(signals), {s: f"v-{s}" for s in signals},
                      [f"/audio/{s}.wav" for s in song_ids], song_ids, meters,
                      scores.astype(np.float32), available)


def test_training_learns_and_records_what_it_needs():
    table = synthetic_table()
    checkpoint = arbiter.train(table, ArbiterSettings({}, epochs=80))
    assert checkpoint["classes"] == list(CLASSES)
    assert checkpoint["val_accuracy"] > 0.7
    assert checkpoint["signals"] == ["alpha", "beta"]
    assert checkpoint["versions"] == {"alpha": "v-alpha", "beta": "v-beta"}
    assert checkpoint["n_train"] + checkpoint["n_val"] == len(table.paths)
    predictions = Arbiter(checkpoint).probabilities(table).argmax(axis=1)
    assert np.mean(np.asarray(CLASSES)[predictions] == table.meters) > 0.8


def test_same_seed_gives_bit_identical_weights():
    table = synthetic_table()
    first = arbiter.train(table, ArbiterSettings({"alpha": 2.0}, seed=3, epochs=60))
    second = arbiter.train(table, ArbiterSettings({"alpha": 2.0}, seed=3, epochs=60))
    other = arbiter.train(table, ArbiterSettings({"alpha": 2.0}, seed=4, epochs=60))
    (weights,), (same,), (others,) = (c["models"] for c in (first, second, other))
    for key, tensor in weights["weights"].items():
        assert torch.equal(tensor, same["weights"][key])
    assert any(not torch.equal(t, others["weights"][k]) for k, t in weights["weights"].items())


def test_seeds_make_an_ensemble_that_averages_their_models():
    """n_seeds models, each the model its seed trains alone; the arbiter answers their
    mean probability, and each seed's own validation accuracy is recorded."""
    table = synthetic_table(n_per_class=12)
    checkpoint = arbiter.train(table, ArbiterSettings({}, seed=0, n_seeds=4, epochs=40))
    singles = [arbiter.train(table, ArbiterSettings({}, seed=s, epochs=40)) for s in range(4)]
    assert len(checkpoint["models"]) == 4
    mean = np.mean([Arbiter(single).probabilities(table) for single in singles], axis=0)
    np.testing.assert_allclose(Arbiter(checkpoint).probabilities(table), mean, rtol=1e-6)
    assert not np.allclose(Arbiter(singles[0]).probabilities(table), mean)
    assert checkpoint["val_accuracy_mean"] == pytest.approx(
        np.mean([single["val_accuracy"] for single in singles]))


def test_checkpoint_holds_only_tuning_songs():
    table = synthetic_table()
    checkpoint = arbiter.train(table, ArbiterSettings({}, epochs=20))
    assert set(checkpoint["song_ids"]) == set(table.song_ids)
    assert checkpoint["dataset_fingerprint"] == table.fingerprint()


def test_sharpening_changes_features_not_the_argmax():
    scores = np.array([[[0.2, 0.5, 1.0, 0.1, 0, 0, 0, 0, 0]]], dtype=np.float32)
    plain = arbiter.signal_features(scores, ("alpha",), {})
    sharp = arbiter.signal_features(scores, ("alpha",), {"alpha": 2.0})
    assert plain.argmax() == sharp.argmax() == 2
    assert sharp[0, 1] == pytest.approx(0.25) and plain[0, 1] == pytest.approx(0.5)


def test_vote_without_checkpoint_follows_the_signals():
    table = synthetic_table(n_per_class=10)
    probabilities = VoteArbiter(table.signals, CLASSES).probabilities(table)
    assert probabilities.shape == (40, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert np.mean(np.asarray(CLASSES)[probabilities.argmax(axis=1)] == table.meters) > 0.7


def test_arbiter_names_changed_signals():
    checkpoint = arbiter.train(synthetic_table(n_per_class=8), ArbiterSettings({}, epochs=5))
    model = Arbiter(checkpoint)
    assert model.version_mismatches({"alpha": "v-alpha", "beta": "v-beta"}) == {}
    assert model.version_mismatches({"alpha": "v-alpha", "beta": "new"}) == {
        "beta": ("v-beta", "new")}


def test_coverage_check_drops_absent_signals_and_fails_on_failing_ones():
    table = synthetic_table(n_per_class=10, signals=("alpha", "beta", "gamma"))
    table.available[:, 2] = False
    table.available[:10, 1] = False          # gated off on a quarter of the files: kept
    extraction = Extraction(table, [], {"gamma": Counter({"no checkpoint": 40}),
                                        "beta": Counter({"weak beats": 10})}, Counter())
    keep, dropped = check_coverage(extraction)
    assert keep == ["alpha", "beta"] and dropped == {"gamma": "no checkpoint"}
    assert select_signals(table, keep).scores.shape == (40, 2, 9)
    extraction.failures["alpha"] = 25
    with pytest.raises(CoverageError, match="alpha ran on 38%"):
        check_coverage(extraction)


def test_coverage_check_stops_on_a_signal_missing_on_most_files_unless_allowed():
    table = synthetic_table(n_per_class=10, signals=("alpha", "beta"))
    table.available[:33, 1] = False          # available on 18% of the files
    reasons = Counter({"only 5 beats (need 8)": 25, "weak beats: 0.10 < 0.15": 8})
    extraction = Extraction(table, [], {"beta": reasons}, Counter())
    with pytest.raises(CoverageError) as raised:
        check_coverage(extraction)
    message = str(raised.value)
    for part in ("beta available on 18%", "25 x only 5 beats (need 8)",
                 "8 x weak beats: 0.10 < 0.15", "--allow-missing beta"):
        assert part in message
    assert "alpha" not in message
    assert check_coverage(extraction, allow_missing=("beta",)) == (["alpha", "beta"], {})


def test_score_table_round_trip(tmp_path):
    table = synthetic_table(n_per_class=5)
    table.save(tmp_path / "tuning.npz")
    loaded = ScoreTable.load(tmp_path / "tuning.npz")
    np.testing.assert_array_equal(loaded.scores, table.scores)
    assert loaded.fingerprint() == table.fingerprint()
    assert loaded.versions == table.versions and loaded.coverage()["alpha"] == 1.0
    assert [path.name for path in tmp_path.iterdir()] == ["tuning.npz"]


def _save_killed_at_commit(table, path, monkeypatch, commit):
    """``table.save(path)`` killed just before its ``commit``-th file rename; returns
    how many renames a save makes when ``commit`` is beyond them."""
    real_replace, renames = os.replace, []

    def replace(source, target):
        renames.append(target)
        if len(renames) == commit:
            raise KeyboardInterrupt("killed")
        real_replace(source, target)

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", replace)
        try:
            table.save(path)
        except KeyboardInterrupt:
            pass
    return len(renames)


def _save_killed_mid_write(table, path, monkeypatch):
    """``table.save(path)`` killed when half of the table's bytes are written, wherever
    the save writes them (an open stream or a file name)."""
    real_savez = np.savez

    def dying_savez(file, *args, **kwargs):
        whole = io.BytesIO()
        real_savez(whole, *args, **kwargs)
        half = whole.getvalue()[:len(whole.getvalue()) // 2]
        if hasattr(file, "write"):
            file.write(half)
            file.flush()
        else:
            Path(file).write_bytes(half)
        raise KeyboardInterrupt("killed mid-write")

    with monkeypatch.context() as patch:
        patch.setattr(np, "savez", dying_savez)
        with pytest.raises(KeyboardInterrupt):
            table.save(path)


def test_extraction_killed_while_saving_leaves_the_old_table_or_the_new(tmp_path,
                                                                          monkeypatch):
    old = synthetic_table(n_per_class=5, seed=1)
    new = synthetic_table(n_per_class=6, seed=2, signals=("alpha", "beta", "gamma"))
    path = tmp_path / "tuning.npz"
    old.save(path)
    _save_killed_mid_write(new, path, monkeypatch)
    assert ScoreTable.load(path).fingerprint() == old.fingerprint()
    renames = _save_killed_at_commit(new, tmp_path / "scratch.npz", monkeypatch, commit=0)
    assert renames >= 1                      # the new table appears by a rename, whole
    for commit in range(1, renames + 1):
        old.save(path)
        _save_killed_at_commit(new, path, monkeypatch, commit)
        assert ScoreTable.load(path).fingerprint() == old.fingerprint(), commit
    new.save(path)
    assert ScoreTable.load(path).fingerprint() == new.fingerprint()
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["scratch.npz", "tuning.npz"]


POINTS = grid.grid_points(("", "alpha:2"), (1.0, 2.0))
CV = grid.CVSettings(folds=3, seeds=1, epochs=30)


@pytest.fixture
def table_path(tmp_path):
    path = tmp_path / "tuning.npz"
    synthetic_table(n_per_class=10).save(path)
    return path


def _grid(table_path, out_dir, workers=1, points=POINTS, settings=CV,
          progress=lambda message: None):
    return grid.run_grid(points, table_path, out_dir, workers=workers, settings=settings,
                         progress=progress)


def test_grid_runs_every_fold_then_nothing(tmp_path, table_path):
    results = _grid(table_path, tmp_path / "grid", workers=2)
    assert sorted(results) == sorted(grid.run_key(p, f) for p in POINTS for f in range(CV.folds))
    assert json.loads((tmp_path / "grid" / grid.RESULTS_FILE).read_text()) == results
    messages = []
    assert _grid(table_path, tmp_path / "grid", progress=messages.append) == results
    assert messages == []


def test_folds_hold_out_every_song_once_and_keep_songs_together():
    table = synthetic_table(n_per_class=10)
    table.song_ids = [f"song{i // 2:03d}" for i in range(len(table.song_ids))]
    masks = [grid.fold_mask(table, fold, 4) for fold in range(4)]
    assert np.array_equal(np.sum(masks, axis=0), np.ones(len(table.song_ids)))
    for mask in masks:
        held = {song for song, out in zip(table.song_ids, mask) if out}
        assert not held & {song for song, out in zip(table.song_ids, mask) if not out}


def runner_up_table(n_per_class=30, seed=0):
    """Signals whose *second* highest score is the true meter, the highest always being a
    meter outside the classes: harsh sharpening leaves only that uninformative peak, so
    the plain configuration is clearly better."""
    rng = np.random.default_rng(seed)
    meters = np.repeat(CLASSES, n_per_class)
    scores = rng.random((len(meters), 2, len(config.CANDIDATE_METERS))) * 0.3
    scores[:, :, config.CANDIDATE_METERS.index(9)] = 1.0
    for i, meter in enumerate(meters):
        scores[i, :, config.CANDIDATE_METERS.index(meter)] = 0.9
    song_ids = [f"song{i:03d}" for i in range(len(meters))]
    return ScoreTable(("alpha", "beta"), {"alpha": "v", "beta": "v"},
                      [f"/audio/{s}.wav" for s in song_ids], song_ids, meters,
                      scores.astype(np.float32), np.ones((len(meters), 2), dtype=bool))


def test_cross_validation_picks_the_clearly_better_configuration(tmp_path):
    runner_up_table(n_per_class=20).save(tmp_path / "tuning.npz")
    harsh, plain = grid.grid_points(("alpha:1000,beta:1000", ""), (1.0,))
    settings = grid.CVSettings(folds=4, seeds=1, epochs=40)
    results = _grid(tmp_path / "tuning.npz", tmp_path / "grid", points=[harsh, plain],
                    settings=settings)
    summaries = grid.summarise([harsh, plain], results, settings)
    assert summaries[plain.name].mean > 0.9 > 0.4 > summaries[harsh.name].mean
    assert grid.winner([harsh, plain], summaries) == plain
    assert set(summaries[plain.name].per_class) == {"3", "4", "5", "7"}


def test_cross_validation_reports_each_dataset_apart(tmp_path):
    """Files of one dataset whose signals point at the meter, of another whose signals
    are noise: pooled over folds, each dataset's held-out accuracy shows which is which,
    and every file is held out once."""
    table = runner_up_table(n_per_class=20)
    noisy = np.arange(len(table.meters)) % 2 == 1
    table.scores[noisy] = np.random.default_rng(1).random(table.scores[noisy].shape)
    table.datasets = ["noisy" if flag else "clean" for flag in noisy]
    table.save(tmp_path / "tuning.npz")
    assert ScoreTable.load(tmp_path / "tuning.npz").datasets == table.datasets
    plain = grid.grid_points(("",), (1.0,))
    settings = grid.CVSettings(folds=4, seeds=1, epochs=40)
    results = _grid(tmp_path / "tuning.npz", tmp_path / "grid", points=plain, settings=settings)
    held = [record["datasets"] for record in results.values()]
    assert sum(fold["clean"][1] + fold["noisy"][1] for fold in held) == len(table.meters)
    per_dataset = grid.summarise(plain, results, settings)[plain[0].name].per_dataset
    assert per_dataset["clean"] > 0.9 > 0.5 > per_dataset["noisy"]


def _summary(*fold_accuracies):
    return grid.CVSummary(tuple(fold_accuracies), {}, (10,))


def test_winner_is_the_best_mean_and_ties_within_one_standard_error_go_to_the_simplest():
    tied = {p.name: _summary(0.8, 0.9) for p in POINTS}
    assert grid.winner(POINTS, tied) == POINTS[0]
    clearly = dict(tied, **{POINTS[2].name: _summary(0.95, 0.96)})
    assert grid.winner(POINTS, clearly) == POINTS[2]
    # best mean 0.86, sd over 3 folds 0.1, standard error 0.058: 0.82 is tied with it, 0.80 not
    noisy = {POINTS[0].name: _summary(0.80, 0.80, 0.80), POINTS[1].name: _summary(0.82, 0.82, 0.82),
             POINTS[3].name: _summary(0.76, 0.86, 0.96)}
    assert grid.winner(POINTS, noisy) == POINTS[1]


def test_grid_starts_over_when_the_data_or_the_settings_change(tmp_path, table_path):
    results = _grid(table_path, tmp_path / "grid")
    synthetic_table(n_per_class=10, seed=1).save(table_path)
    fingerprint = ScoreTable.load(table_path).fingerprint()
    every_run = [(p, f) for p in POINTS for f in range(CV.folds)]
    assert grid.pending(POINTS, results, fingerprint, CV) == every_run
    old = next(iter(results.values()))["dataset_fingerprint"]
    more_folds = grid.CVSettings(folds=4, seeds=1, epochs=30)
    assert len(grid.pending(POINTS, results, old, more_folds)) == 4 * len(POINTS)


def test_a_grid_worker_killed_is_a_reported_fold_not_a_hang(tmp_path, table_path,
                                                           monkeypatch):
    """A worker killed mid-training (by the kernel, for memory) used to leave
    ``multiprocessing.Pool`` waiting forever; the runner names the lost folds, and every
    other fold is kept for the resumed run."""
    run_fold = grid._run_fold

    def killed_on_fold_1(job):
        if job[1] == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        return run_fold(job)

    monkeypatch.setattr(grid, "_run_fold", killed_on_fold_1)
    with pytest.raises(grid.GridError, match="without fold 1 .*killed by SIGKILL"):
        _grid(table_path, tmp_path / "grid", workers=2)
    saved = grid.load_results(tmp_path / "grid")
    assert len(saved) == len(POINTS) * CV.folds - len(POINTS)
    assert not any(key.endswith("fold1") for key in saved)


def _grid_in_own_process_group(table_path, out_dir):
    os.setpgrp()
    _grid(table_path, out_dir, workers=2)


def test_grid_killed_and_resumed_gives_identical_results(tmp_path, table_path):
    reference = _grid(table_path, tmp_path / "reference")
    out_dir = tmp_path / "killed"
    process = multiprocessing.get_context("fork").Process(
        target=_grid_in_own_process_group, args=(table_path, out_dir))
    process.start()
    deadline = time.time() + 60
    while not (out_dir / grid.RESULTS_FILE).is_file() and time.time() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.join()
    finished = grid.load_results(out_dir)
    assert 0 < len(finished) < len(reference)
    messages = []
    resumed = _grid(table_path, out_dir, progress=messages.append)
    assert resumed == reference
    assert len(messages) == len(reference) - len(finished)


def _script_args(tmp_path, table_path, *extra):
    return ["--data", str(table_path), "--out-dir", str(tmp_path / "grid"),
            "--install", str(tmp_path / "meter_arbiter.pt"), "--folds", "3", "--epochs", "20",
            *extra]


@pytest.fixture
def small_grid_script(monkeypatch):
    monkeypatch.setattr(grid, "SHARPEN_OPTIONS", ("", "alpha:2"))
    monkeypatch.setattr(grid, "BOOST_RARE_OPTIONS", (1.0,))
    return load_script("scripts/training/grid_arbiter.py")


def test_grid_script_dry_run_summary_reset_and_the_refitted_winner(tmp_path, table_path,
                                                                  small_grid_script, capsys):
    assert small_grid_script.main(_script_args(tmp_path, table_path, "--dry-run")) == 0
    assert capsys.readouterr().out.count("would train") == 6
    assert not (tmp_path / "grid").exists()
    assert small_grid_script.main(_script_args(tmp_path, table_path)) == 0
    output = capsys.readouterr().out
    assert "CV accuracy mean ± sd over folds" in output and "winner sharpen-" in output
    checkpoint = Arbiter.load(tmp_path / "meter_arbiter.pt").checkpoint
    cv = checkpoint["cross_validation"]
    assert cv["folds"] == 3 and len(cv["fold_accuracies"]) == 3
    assert cv["accuracy_mean"] == pytest.approx(np.mean(cv["fold_accuracies"]))
    assert checkpoint["n_train"] == len(ScoreTable.load(table_path).paths)
    assert checkpoint["hyper_parameters"]["epochs"] == cv["refit_epochs"]
    assert small_grid_script.main(_script_args(tmp_path, table_path, "--summary")) == 0
    summary = capsys.readouterr().out
    assert "CV accuracy mean ± sd over folds" in summary and "\n*" in summary
    assert small_grid_script.main(_script_args(tmp_path, table_path, "--reset", "--dry-run")) == 0
    assert capsys.readouterr().out.count("would train") == 6


def test_grid_keeps_every_held_out_probability_once(tmp_path, table_path):
    results = _grid(table_path, tmp_path / "grid", points=POINTS[:1])
    table = ScoreTable.load(table_path)
    probabilities, labels, trained_under = grid.out_of_fold(POINTS[0], results, table,
                                                            CV.folds)
    rows = np.concatenate([results[grid.run_key(POINTS[0], f)]["rows"]
                           for f in range(CV.folds)])
    assert sorted(rows) == list(range(len(table.paths)))
    assert probabilities.shape == (len(table.paths), 4) == trained_under.shape
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    assert (np.asarray([3, 4, 5, 7])[labels] == table.meters[rows]).all()
    correct = sum(sum(results[grid.run_key(POINTS[0], f)]["correct"].values())
                  for f in range(CV.folds))
    assert correct == int(np.sum(probabilities.argmax(axis=1) == labels))


def test_grid_runs_again_the_folds_recorded_without_probabilities(tmp_path, table_path):
    results = _grid(table_path, tmp_path / "grid")
    fingerprint = ScoreTable.load(table_path).fingerprint()
    assert grid.pending(POINTS, results, fingerprint, CV) == []
    old = {key: {k: v for k, v in record.items() if k != "probabilities"}
           for key, record in results.items()}
    assert len(grid.pending(POINTS, old, fingerprint, CV)) == len(results)


def test_the_grid_records_a_temperature_fitted_out_of_fold(tmp_path, table_path,
                                                          small_grid_script, capsys):
    assert small_grid_script.main(_script_args(tmp_path, table_path)) == 0
    output = capsys.readouterr().out
    assert "out-of-fold predictions (NLL minimised)" in output and "ECE" in output
    record = Arbiter.load(tmp_path / "meter_arbiter.pt").checkpoint["calibration"]
    assert record["n"] == len(ScoreTable.load(table_path).paths)
    assert record["criterion"] == calibration.CRITERION
    assert record["applied"] == (record["ece"]["after"] < record["ece"]["before"]
                                 and record["accuracy"]["after"] >= record["accuracy"]["before"])
    name = re.search(r"winner (\S+):", output).group(1)
    winner = next(p for p in grid.grid_points(("", "alpha:2"), (1.0,)) if p.name == name)
    saved = json.loads((tmp_path / "grid" / grid.RESULTS_FILE).read_text())
    refitted = calibration.calibrate(*grid.out_of_fold(winner, saved,
                                                       ScoreTable.load(table_path), 3))
    assert refitted["fitted_temperature"] == pytest.approx(record["fitted_temperature"])


#: Files opened while a test records them: an audit hook cannot be removed, so one is
#: installed for the module and records only inside :func:`recording_opened_files`.
_opened_files = None


def _record_open(event, args):
    if event == "open" and _opened_files is not None and isinstance(args[0], (str, os.PathLike)):
        _opened_files.append(os.fspath(args[0]))


sys.addaudithook(_record_open)


@contextmanager
def recording_opened_files():
    global _opened_files
    _opened_files = opened = []
    try:
        yield opened
    finally:
        _opened_files = None


def test_grid_never_opens_the_test_split(tmp_path, table_path, small_grid_script):
    synthetic_table(n_per_class=10, seed=5).save(tmp_path / "test.npz")
    with recording_opened_files() as opened:
        assert small_grid_script.main(_script_args(tmp_path, table_path)) == 0
        assert small_grid_script.main(_script_args(tmp_path, table_path, "--summary")) == 0
    assert str(table_path) in opened
    assert not [path for path in opened if "test" in Path(path).name]


@pytest.mark.parametrize("split", ["test", "all"])
def test_extraction_refuses_to_read_the_test_split(split):
    train_arbiter = load_script("scripts/training/train_arbiter.py")
    with pytest.raises(SystemExit, match="only eval reads"):
        train_arbiter.main(["--extract", "--split", split])


def test_checkpoint_round_trip_and_clear_errors(tmp_path):
    from meterlab.learn.mlp import CheckpointError
    table = synthetic_table(n_per_class=6)
    checkpoint = arbiter.train(table, ArbiterSettings({"alpha": 2.0}, epochs=10))
    arbiter.save(checkpoint, tmp_path / "arbiter.pt")
    loaded = Arbiter.load(tmp_path / "arbiter.pt")
    np.testing.assert_array_equal(loaded.probabilities(table), Arbiter(checkpoint).probabilities(table))
    with pytest.raises(CheckpointError, match="missing.pt.*make grid"):
        Arbiter.load(tmp_path / "missing.pt")
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="broken.pt: unreadable arbiter checkpoint"):
        Arbiter.load(tmp_path / "broken.pt")
