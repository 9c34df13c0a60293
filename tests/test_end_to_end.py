"""The whole Make chain on a tiny generated corpus, through the real scripts."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from meterlab.extract import ScoreTable

REPO = Path(__file__).resolve().parents[1]
#: Chance is 1/4 on the small corpus's four classes (8 test files). The arbiter, trained
#: on 16 files, scores 5/8 and madmom alone 8/8 (run `make all CORPUS_ARGS="--size
#: small"` to see): floors of twice chance and 7/8 leave room for one file to flip with
#: a harmless change, none for a broken signal chain or arbiter.
ACCURACY_FLOOR = 1 / 2
BEST_SIGNAL_FLOOR = 7 / 8
FAST = ["WORKERS=2", "CORPUS_ARGS=--size small", "GRID_ARGS=--seeds 1 --epochs 40"]


def make(data, *targets):
    env = dict(os.environ, METERLAB_DATA=str(data))
    result = subprocess.run(["make", "--no-print-directory", *targets, *FAST], cwd=REPO,
                            env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_make_all_then_nothing_then_smoke_and_save(tmp_path):
    data = tmp_path / "data"
    first = make(data, "all")
    for produced in ["corpus/manifest.csv", "stamps/warm", "stamps/warm.d", "onset_mlp.pt",
                     "arbiter_dataset/tuning.npz",
                     "arbiter_grid/results.json", "meter_arbiter.pt", "cache/errors.json"]:
        assert (data / produced).is_file(), produced
    assert len(json.loads((data / "arbiter_grid/results.json").read_text())) == 15
    assert "accuracy" in first and "confusion" in first
    runs = sorted((data / "runs").glob("*.json"))
    assert len(runs) == 1 and list((data / "runs").glob("*-confusion.png"))
    run = json.loads(runs[0].read_text())
    assert run["split"] == "test" and run["metrics"]["n"] == 8
    assert run["metrics"]["accuracy"] >= ACCURACY_FLOOR, run["metrics"]
    assert run["per_signal"]["madmom"]["accuracy"] >= BEST_SIGNAL_FLOOR, run["per_signal"]
    tuning = ScoreTable.load(data / "arbiter_dataset/tuning.npz")
    assert not set(tuning.paths) & {record["path"] for record in run["files"]}
    assert "lib/meterlab/audio.py" in (data / "stamps/warm.d").read_text()

    second = make(data, "all")
    assert "scripts/" not in second, second

    assert "accuracy" in make(data, "smoke")
    assert "saved this run as the baseline" in make(data, "eval", "SAVE=1")
    assert "not saved" in make(data, "eval", "SAVE=1")
