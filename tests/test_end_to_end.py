"""The whole Make chain on a tiny generated corpus and a fake METER2800, through the real
scripts."""
import csv
import json
import os
import subprocess
from pathlib import Path

import pytest
import soundfile as sf

from tests.conftest import click_track, write_meter2800_table

from meterlab.learn.table import ScoreTable

REPO = Path(__file__).resolve().parents[1]
#: Chance is 1/4 on the small corpus's four classes (8 test files). The arbiter, trained
#: on 21 tuning files, scores 7/8 under the uniform prior and madmom alone 7/8 (run the
#: `make all` of :data:`FAST` to see): floors of twice chance and 7/8 leave room for one
#: file to flip with a harmless change, none for a broken signal chain, arbiter or
#: calibration (a temperature applied that took the arbiter to 3/8).
ACCURACY_FLOOR = 1 / 2
BEST_SIGNAL_FLOOR = 7 / 8
FAST = ["WORKERS=2", "CORPUS_ARGS=--size small", "SCORES_ARGS=--size small",
        "GRID_ARGS=--seeds 1 --epochs 40"]


def run_make(data, *targets):
    env = dict(os.environ, METERLAB_DATA=str(data))
    return subprocess.run(["make", "--no-print-directory", *targets, *FAST], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=1200)


def make(data, *targets):
    result = run_make(data, *targets)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


@pytest.mark.slow
def test_make_all_then_nothing_then_smoke_and_save(tmp_path):
    data = tmp_path / "data"
    first = make(data, "all")
    for produced in ["corpus/manifest.csv", "scores/manifest.csv", "stamps/warm", "stamps/warm.d",
                     "onset_mlp.pt", "arbiter_dataset/tuning.npz",
                     "arbiter_grid/results.json", "meter_arbiter.pt", "cache/errors.json"]:
        assert (data / produced).is_file(), produced
    assert len(json.loads((data / "arbiter_grid/results.json").read_text())) == 15 * 5  # folds
    assert "accuracy" in first and "confusion" in first
    assert "madmom DBN reference, beats_per_bar=[3, 4, 5, 7]" in first
    assert "scores dataset not built" in first or "== scores test split" in first
    runs = [json.loads(path.read_text()) for path in sorted((data / "runs").glob("2*.json"))]
    runs = [run for run in runs if run["dataset"] == "corpus"]
    assert len(runs) == 1 and list((data / "runs").glob("*-confusion.png"))
    run = runs[0]
    assert run["split"] == "test" and run["metrics"]["n"] == 8
    assert run["reference"]["n"] == 8 and run["metrics_uniform"]["n"] == 8
    # The small corpus's classes are equally common: the uniform prior is the fair one
    # (METER2800's default shares cost a 16-file arbiter its weak 5s and 7s).
    assert run["metrics_uniform"]["accuracy"] >= ACCURACY_FLOOR, run["metrics_uniform"]
    assert run["per_signal"]["madmom"]["accuracy"] >= BEST_SIGNAL_FLOOR, run["per_signal"]
    tuning = ScoreTable.load(data / "arbiter_dataset/tuning.npz")
    assert not set(tuning.paths) & {record["path"] for record in run["files"]}
    assert "lib/meterlab/engine/audio.py" in (data / "stamps/warm.d").read_text()

    second = make(data, "all")
    assert "scripts/" not in second, second

    assert "accuracy" in make(data, "smoke")
    assert "saved this run as the baseline" in make(data, "eval", "SAVE=1")
    assert "not saved" in make(data, "eval", "SAVE=1")


SOURCES = ("FMA", "MAG", "OWN", "GTZAN")
GENRES = ("blues", "jazz", "rock", "pop")


def fake_meter2800(root):
    """METER2800 as published, in miniature: quoted .tab tables, click tracks in 3 and 4
    (two classes keep the test short; the class set comes from the data) spread over the
    per-source folders, GTZAN in its genres/<genre>/ layout, and one row whose audio is
    missing."""
    rows = {split: [] for split in ("train", "val", "test")}
    for number, (meter, split) in enumerate((meter, split) for meter in (3, 4)
                                            for split in rows for _ in range(2)):
        source = SOURCES[number % len(SOURCES)]
        if source == "GTZAN":
            genre = GENRES[number % len(GENRES)]
            name = f"{genre}.{number:05d}.wav"
            path = root / "GTZAN" / "genres" / genre / name
        else:
            name = f"{number:06d}.wav"
            path = root / source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, click_track(6.0, bpm=90 + 7 * number, beats_per_bar=meter), 22050)
        rows[split].append((f"/{source}/{name}", meter, None))
    rows["train"].append(("/GTZAN/blues.00099.wav", 3, None))
    for split, table in rows.items():
        write_meter2800_table(root / f"data_{split}_4_classes.tab", table)
    return root


def test_meter2800_without_data_dir_stops_with_one_sentence(tmp_path):
    for extra, expected in [([], "DATASET=meter2800 needs DATA_DIR=/path/to/METER2800"),
                            ([f"DATA_DIR={tmp_path}"], "has no METER2800 tables: expected "
                                                       "data_{train,val,test}_4_classes.tab")]:
        result = run_make(tmp_path / "data", "all", "DATASET=meter2800", *extra)
        assert result.returncode != 0
        assert expected in result.stderr and "No rule to make target" not in result.stderr


@pytest.mark.slow
def test_make_all_on_meter2800_then_predict(tmp_path):
    data, tree = tmp_path / "data", fake_meter2800(tmp_path / "METER2800")
    dataset = ["DATASET=meter2800", f"DATA_DIR={tree}"]
    first = make(data, "all", *dataset)
    assert "rows without audio, skipped (1)" in first
    lines = [line.split() for line in first.splitlines()]
    assert ["GTZAN", "4", "1", str(tree / "GTZAN/blues.00099.wav")] in lines
    run = next(run for run in (json.loads(path.read_text())
                                for path in (data / "runs").glob("2*.json"))
               if run["dataset"] == "meter2800")
    assert run["metrics"]["n"] == 4
    assert sorted(run["per_source"]) == sorted(SOURCES)
    for source in SOURCES:
        summary = run["per_source"][source]
        assert summary["n"] == 1
        assert [source, "1", f"{summary['correct']}/1"] in [line[:3] for line in lines]
    assert "scripts/" not in make(data, "all", *dataset)

    out = tmp_path / "predictions.csv"
    shown = make(data, "predict", f"FILE={tree}", f"OUT={out}")
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12 and all(row["predicted"] and not row["error"] for row in rows)
    assert f"12 rows written to {out}" in shown
