"""Calibration of the arbiter's confidence: the ECE, temperature scaling, and the
temperature's way through the checkpoint and eval (the grid's out-of-fold probabilities
are tested with the grid, in test_arbiter.py)."""
import numpy as np
import pytest

from meterlab.data.datasets import Entry
from meterlab.engine import registry
from meterlab.evaluate import metrics, report, runs
from meterlab.evaluate.evaluation import EvalRun, evaluate, recalibrated
from meterlab.learn import arbiter, calibration, priors
from meterlab.learn.arbiter import Arbiter, ArbiterSettings, uncalibrated
from tests.conftest import click_track, install_signal, load_script
from tests.test_arbiter import synthetic_table

UNIFORM = np.full(4, 0.25)


def test_ece_of_hand_computed_bins():
    """Bin 0.9-1.0: four answers at 0.95, three right (gap 0.2); bin 0.5-0.6: two at
    0.55, one right (gap 0.05): ECE = (4 * 0.2 + 2 * 0.05) / 6 = 0.15."""
    confidence = [0.95, 0.95, 0.95, 0.95, 0.55, 0.55]
    correct = [True, True, True, False, True, False]
    assert calibration.expected_calibration_error(confidence, correct) == pytest.approx(0.15)
    table = calibration.reliability(confidence, correct)
    assert table["count"] == [0, 0, 0, 0, 0, 2, 0, 0, 0, 4]
    assert table["accuracy"][9] == pytest.approx(0.75)
    assert table["confidence"][5] == pytest.approx(0.55)
    assert np.isnan(table["accuracy"][0])


def test_ece_bin_edges_and_perfect_calibration():
    """A confidence of 1 is in the last bin, 0.5 in the bin that starts at it; answers at
    0.75 that are right three times in four are calibrated: ECE 0."""
    assert calibration.reliability([1.0, 0.5], [True, True], bins=4)["count"] == [0, 0, 1, 1]
    assert calibration.expected_calibration_error([0.75] * 4, [1, 1, 1, 0]) == 0.0
    # every answer sure and half of them wrong: the gap is 0.5 whatever the bins
    for bins in (1, 10, 15):
        assert calibration.expected_calibration_error([1.0] * 4, [1, 0, 1, 0], bins) == 0.5


def test_eval_calibration_leaves_out_failed_files_and_counts_the_rest():
    probabilities = np.array([[0.9, 0.1], [0.7, 0.3], [0.2, 0.8], [np.nan, np.nan]])
    figures = metrics.confidence_calibration([3, 4, 4, 3], probabilities, [3, 4])
    assert (figures["n"], figures["correct"]) == (3, 2)
    assert figures["mean_confidence"] == pytest.approx(0.8)
    # bin 0.9: one at 0.9, right; bin 0.7: one at 0.7, wrong; bin 0.8: one at 0.8, right
    assert figures["ece"] == pytest.approx((0.1 + 0.7 + 0.2) / 3)


def test_temperature_keeps_every_answer_and_zeros_and_nan_rows():
    probabilities = np.array([[0.6, 0.3, 0.1, 0.0], [0.25, 0.25, 0.4, 0.1], [np.nan] * 4])
    for temperature in (0.3, 2.0, 7.0):
        tempered = calibration.temper(probabilities, temperature)
        assert (tempered[:2].argmax(axis=1) == probabilities[:2].argmax(axis=1)).all()
        np.testing.assert_allclose(tempered[:2].sum(axis=1), 1.0)
        assert tempered[0, 3] == 0.0 and np.isnan(tempered[2]).all()
    assert calibration.temper(probabilities, 2.0)[0, 0] < 0.6 < calibration.temper(
        probabilities, 0.5)[0, 0]


def over_confident(temperature, n=20000, prior=UNIFORM, seed=0):
    """Outputs of a model ``temperature`` times too sharp, calibrated under a uniform
    training prior, on data whose classes follow ``prior`` (drawn under the uniform one,
    then thinned by class, which keeps each class's files alike): (outputs, labels)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.5, size=(n, 4))
    truthful = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = (truthful.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    kept = rng.random(n) < (prior / prior.max())[labels]
    sharp = np.exp(logits[kept] * temperature)
    return sharp / sharp.sum(axis=1, keepdims=True), labels[kept]


def test_fit_recovers_the_temperature_of_over_confident_outputs():
    outputs, labels = over_confident(2.5)
    assert calibration.fit_temperature(outputs, labels, UNIFORM, UNIFORM) == pytest.approx(
        2.5, rel=0.05)
    timid, labels = over_confident(0.5, seed=1)
    assert calibration.fit_temperature(timid, labels, UNIFORM, UNIFORM) == pytest.approx(
        0.5, rel=0.05)


def test_fit_tempers_before_the_prior_moves_the_outputs():
    """On data mostly in class 0, the outputs are moved to the data's shares after the
    temperature, as eval and predict move them: the fit finds 2.5 (tempering the moved
    outputs instead finds about 1.75), uses it, and lowers the ECE and the NLL."""
    skewed = np.array([0.85, 0.05, 0.05, 0.05])
    outputs, labels = over_confident(2.5, n=60000, prior=skewed)
    record = calibration.calibrate(outputs, labels, UNIFORM)
    assert record["fitted_temperature"] == pytest.approx(2.5, rel=0.03)
    assert record["applied"] and record["temperature"] == record["fitted_temperature"]
    assert record["ece"]["after"] < record["ece"]["before"] / 3
    assert record["nll"]["after"] < record["nll"]["before"]
    assert record["n"] == len(labels) and record["bins"] == calibration.ECE_BINS


def test_a_temperature_that_does_not_lower_the_ece_is_not_applied():
    """Outputs already calibrated: the fitted temperature is about 1 and the ECE does not
    fall by it on every sample; when it does not, the record says 1.0."""
    outputs, labels = over_confident(1.0, n=300, seed=3)
    record = calibration.calibrate(outputs, labels, UNIFORM)
    assert record["fitted_temperature"] == pytest.approx(1.0, abs=0.2)
    assert record["applied"] == (record["ece"]["after"] < record["ece"]["before"]
                                 and record["accuracy"]["after"] >= record["accuracy"]["before"])
    assert record["temperature"] == (record["fitted_temperature"] if record["applied"] else 1.0)


def test_a_temperature_that_lowers_the_accuracy_is_not_applied():
    """Trained under a prior that boosts 5 and 7 (the small make all's arbiter): its right
    but modest answers for 5 and 7 lean towards 3; its sure answers for 3 and 4 are half
    wrong, so the NLL wants T = 2. Tempered that far, the prior moved after it turns
    every 5 and 7 into a 3: the ECE falls, the accuracy goes from 75% to 25%."""
    trained_under = np.array([1, 1, 2, 2]) / 6
    outputs, labels = [], []
    for meter in (2, 3):
        modest = np.full(4, 0.02)
        modest[meter], modest[0] = 0.7, 0.26
        outputs += [modest] * 4
        labels += [meter] * 4
    for meter in (0, 1):
        right, wrong = np.full(4, 0.01), np.full(4, 0.01)
        right[meter], wrong[3 - meter] = 0.97, 0.97
        outputs += [right, right, wrong, wrong]
        labels += [meter] * 4
    record = calibration.calibrate(np.array(outputs), np.array(labels), trained_under)
    assert record["fitted_temperature"] > 1.5
    assert record["ece"]["after"] < record["ece"]["before"]
    assert record["accuracy"] == {"before": 0.75, "after": 0.25}
    assert not record["applied"] and record["temperature"] == 1.0


def _refitted(calibrated):
    table = synthetic_table(n_per_class=8)
    return table, arbiter.refit(table, ArbiterSettings({}, n_seeds=2), 10, {}, calibrated)


def test_checkpoint_round_trips_the_temperature_and_the_arbiter_applies_it(tmp_path):
    table, checkpoint = _refitted({"temperature": 2.0, "applied": True})
    arbiter.save(checkpoint, tmp_path / "arbiter.pt")
    loaded = Arbiter.load(tmp_path / "arbiter.pt")
    assert loaded.temperature == 2.0
    plain = uncalibrated(loaded).probabilities(table)
    np.testing.assert_allclose(plain, loaded.ensemble.probabilities(
        arbiter.feature_matrix(table, {})), rtol=1e-6)
    np.testing.assert_allclose(loaded.probabilities(table), calibration.temper(plain, 2.0))
    assert (loaded.probabilities(table).argmax(axis=1) == plain.argmax(axis=1)).all()
    assert loaded.probabilities(table).max(axis=1).mean() < plain.max(axis=1).mean()
    assert loaded.temperature == 2.0      # uncalibrated() copies, it leaves the arbiter be


def test_a_checkpoint_from_before_calibration_loads_at_temperature_one(tmp_path):
    table, checkpoint = _refitted(None)
    assert "calibration" not in checkpoint
    arbiter.save(checkpoint, tmp_path / "old.pt")
    loaded = Arbiter.load(tmp_path / "old.pt")
    assert loaded.temperature == 1.0
    np.testing.assert_array_equal(loaded.probabilities(table), loaded.ensemble.probabilities(
        arbiter.feature_matrix(table, {})))


def _calibrated_run():
    """A run as eval records it: 4 files, confidences 0.9, 0.9, 0.6, 0.6 at T = 2 (one
    wrong in each pair), 0.99 and 0.7 at T = 1."""
    def figures(confidence):
        correct = [True, False, True, False]
        return {"n": 4, "correct": 2, "mean_confidence": float(np.mean(confidence)),
                "ece": calibration.expected_calibration_error(confidence, correct),
                "bins": calibration.reliability(confidence, correct)}
    tempered, plain = figures([0.9, 0.9, 0.6, 0.6]), figures([0.99, 0.99, 0.7, 0.7])
    return EvalRun(split="test", dataset="scores", prior="meter2800 (...)",
                   prior_name="meter2800", metrics=metrics.summary([3, 4], np.eye(2), [3, 4]),
                   calibration={"temperature": 2.0, "bins": calibration.ECE_BINS, "priors": {
                       "meter2800": {"calibrated": tempered, "uncalibrated": plain},
                       "uniform": {"calibrated": tempered, "uncalibrated": plain}}})


def test_eval_run_saves_a_reliability_diagram_and_reports_ece_before_and_after(tmp_path):
    run = _calibrated_run()
    path = runs.save_run(run, tmp_path)
    assert runs.figure_path(path, "reliability").read_bytes().startswith(b"\x89PNG")
    loaded = runs.latest_run("scores", tmp_path)[1]
    assert loaded.calibration["temperature"] == 2.0
    table = report.calibration(loaded)
    row = next(line.split() for line in table.splitlines() if "meter2800" in line)
    # ECE at T=1: (2 * |0.5 - 0.99| + 2 * |0.5 - 0.7|) / 4; at T=2: (0.4 + 0.1) / 2
    assert row[-6:] == ["2/4", "0.845", "0.345", "2/4", "0.750", "0.250"]
    assert "ECE (10 bins), T=2" in table and "ECE (10 bins), T=1" in table
    assert report.calibration(EvalRun()) is None      # a run saved before calibration


def _saved_run(tmp_path):
    """A run saved before calibration was measured, of an arbiter at temperature 2 (its
    probabilities at 1, under meter2800); the arbiter, its table and the run's path."""
    table, checkpoint = _refitted({"temperature": 2.0})
    model = Arbiter(checkpoint)
    classes = list(model.classes)
    saved = priors.reweight(uncalibrated(model).probabilities(table), model.training_prior,
                            priors.parse_prior("meter2800").shares(classes))
    run = EvalRun(dataset="corpus", split="test", prior="meter2800 (...)",
                  prior_name="meter2800", metrics=metrics.summary(table.meters, saved, classes),
                  files=[{"meter": int(meter), "probabilities": dict(zip(map(str, classes), row))}
                         for meter, row in zip(table.meters, saved.tolist())])
    return model, table, runs.save_run(run, tmp_path)


def test_a_run_saved_before_calibration_is_measured_from_its_probabilities(tmp_path):
    """A saved run holds probabilities under its prior; undoing the prior gives back the
    arbiter's own, so at temperature 1 the run's answers return and the calibration
    equals that of the arbiter's probabilities measured directly."""
    model, table, path = _saved_run(tmp_path)
    classes = list(model.classes)
    plain = uncalibrated(model).probabilities(table)
    run = runs.load_run(path)
    measured = recalibrated(run, model).calibration
    assert measured["temperature"] == 2.0 and set(measured["priors"]) == {"meter2800", "uniform"}
    for prior in (priors.parse_prior("meter2800"), priors.parse_prior("uniform")):
        for key, temperature in (("uncalibrated", 1.0), ("calibrated", 2.0)):
            direct = priors.reweight(calibration.temper(plain, temperature),
                                     model.training_prior, prior.shares(classes))
            expected = metrics.confidence_calibration(table.meters, direct, classes)
            got = measured["priors"][prior.name][key]
            assert (got["n"], got["correct"], got["bins"]["count"]) == (
                expected["n"], expected["correct"], expected["bins"]["count"])
            assert got["ece"] == pytest.approx(expected["ece"]) and got["ece"] > 0
    with pytest.raises(ValueError, match="has its calibration already"):
        recalibrated(recalibrated(run, model), model)


def test_eval_measures_the_arbiter_at_its_temperature_and_at_one(tmp_path, monkeypatch,
                                                                 write_audio):
    """eval answers at the checkpoint's temperature (3: softer, as the uniform prior
    shows; under meter2800 the prior then weighs more, which may raise the top
    probability) and reports the ECE at it and at 1, under its prior and uniform."""
    install_signal(tmp_path, monkeypatch, "fake_eval")
    monkeypatch.setattr(registry, "SIGNALS", ("fake_eval",))
    table = synthetic_table(n_per_class=4, signals=("fake_eval",))
    model = Arbiter(arbiter.refit(table, ArbiterSettings({}), 5, {}, {"temperature": 3.0}))
    entries = [Entry(write_audio(f"{i}.wav", click_track(duration=4 + i, beats_per_bar=meter)),
                     meter, "test", f"song{i}") for i, meter in enumerate((3, 4, 3))]
    run = evaluate(entries, model, progress=False, cache_root=tmp_path / "cache")
    assert run.calibration["temperature"] == 3.0
    assert {name: figures["calibrated"]["n"] for name, figures in
            run.calibration["priors"].items()} == {"meter2800": 3, "uniform": 3}
    uniform = run.calibration["priors"]["uniform"]
    assert uniform["calibrated"]["mean_confidence"] < uniform["uncalibrated"]["mean_confidence"]
    answered = np.mean([max(record["probabilities"].values()) for record in run.files])
    assert answered == pytest.approx(
        run.calibration["priors"]["meter2800"]["calibrated"]["mean_confidence"])


def test_the_script_adds_the_calibration_and_the_diagram_to_saved_runs(tmp_path, capsys):
    model, _, path = _saved_run(tmp_path)
    checkpoint = tmp_path / "arbiter.pt"
    arbiter.save(model.checkpoint, checkpoint)
    script = load_script("scripts/calibrate_saved_runs.py")
    assert script.main([str(path), "--checkpoint", str(checkpoint)]) == 0
    assert "ECE (10 bins), T=2" in capsys.readouterr().out
    assert runs.load_run(path).calibration["temperature"] == 2.0
    assert runs.figure_path(path, "reliability").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(SystemExit, match="has its calibration already"):
        script.main([str(path), "--checkpoint", str(checkpoint)])
