"""Make and the cache agree on what is stale: warm's prerequisites are the files behind
the signals' versions, listed by the same code that computes the versions."""
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

#: Code that moves data without changing it: editing it must leave warm done.
OUTSIDE = tuple(f"lib/meterlab/{name}" for name in (
    "engine/cache.py", "engine/atomic.py", "data/datasets.py", "engine/scoring.py",
    "engine/warm.py", "learn/extract.py"))


def version_sources(*args):
    return subprocess.run([sys.executable, "scripts/setup/version_sources.py", *args],
                          cwd=REPO, capture_output=True, text=True, check=True).stdout


def pending(data, target, *options):
    """Whether ``make -q`` says ``target`` needs work (exit 1) or is done (exit 0)."""
    env = dict(os.environ, METERLAB_DATA=str(data))
    result = subprocess.run(["make", "--no-print-directory", "-q", *options, str(target)],
                            cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 1


@pytest.fixture
def warm_stamp(tmp_path):
    """A data folder whose warm step Make takes as done, set up as warm's recipe leaves it
    (dependency file, then stamp) without running warm."""
    data = tmp_path / "data"
    (data / "corpus").mkdir(parents=True)
    (data / "corpus" / "manifest.csv").write_text("path,meter\n")
    (data / "scores").mkdir()
    (data / "scores" / "manifest.csv").write_text("path,meter\n")
    stamp = data / "stamps" / "warm"
    pending(data, stamp)                          # reading the Makefile writes the dataset tag
    (data / "stamps" / "warm.d").write_text(version_sources("--rule", str(stamp)))
    stamp.touch()
    assert not pending(data, stamp)
    return data, stamp


def test_editing_any_version_source_leaves_warm_pending(warm_stamp):
    data, stamp = warm_stamp
    sources = version_sources().split()
    assert {"lib/meterlab/engine/audio.py", "lib/meterlab/signals/madmom.py",
            "lib/meterlab/analyses/beats.py", "lib/meterlab/models/tracker/tracker.pt"} <= set(sources)
    assert not set(OUTSIDE) & set(sources)
    for source in sources:                        # -W: as if ``source`` had just been edited
        assert pending(data, stamp, "-W", source), source
    for source in OUTSIDE:
        assert not pending(data, stamp, "-W", source), source


def test_eval_stamps_follow_the_scores_dataset(warm_stamp):
    """With everything made, `make all` is done; a rebuilt real-score dataset makes both
    evals pending: its own test split, and the corpus's chain, which trains on its
    tuning split through --extra-data."""
    data, stamp = warm_stamp
    made = ["onset_mlp.pt", "arbiter_dataset/tuning.npz", "meter_arbiter.pt", "stamps/eval",
            "stamps/eval-scores"]
    start = stamp.stat().st_mtime + 1
    for offset, name in enumerate(made):
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).touch()
        os.utime(data / name, (start + offset, start + offset))
    assert not pending(data, "all")
    scores = data / "scores" / "manifest.csv"
    os.utime(scores, (start + len(made), start + len(made)))
    assert pending(data, data / "stamps" / "eval-scores")
    assert pending(data, data / "stamps" / "eval")


def test_help_names_every_documented_target(warm_stamp):
    """With the warm dependency file included, Make reads two makefiles: help must still
    print target names, not the file each line came from."""
    data, _ = warm_stamp
    env = dict(os.environ, METERLAB_DATA=str(data))
    listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO, env=env,
                            capture_output=True, text=True, check=True).stdout
    names = {line.split()[0] for line in listed.splitlines() if line.startswith("  ")}
    assert {"all", "grid", "eval", "beat-diagnostics", "smoke"} <= names
    assert "Makefile" not in names


@pytest.fixture
def spaced_clone(tmp_path):
    """The repository seen from a folder whose path holds a space (``My Projects``)."""
    clone = tmp_path / "My Projects" / "meterlab"
    clone.mkdir(parents=True)
    for name in ("Makefile", "lib", "scripts", "requirements.txt", "requirements-nodeps.txt",
                 "pyproject.toml", ".venv"):
        (clone / name).symlink_to(REPO / name)
    return clone


def make(clone, *arguments, data=None):
    env = dict(os.environ)
    env.pop("METERLAB_DATA", None)
    if data is not None:
        env["METERLAB_DATA"] = str(data)
    return subprocess.run(["make", "--no-print-directory", *arguments], cwd=clone, env=env,
                          capture_output=True, text=True)


def test_paths_with_spaces_stay_whole(spaced_clone, tmp_path):
    data = tmp_path / "my data"
    manifest = tmp_path / "my songs.csv"
    manifest.write_text("path,meter\n")
    planned = make(spaced_clone, "-n", "all", "DATASET=manifest", f"MANIFEST={manifest}",
                   data=data)
    assert planned.returncode == 0, planned.stderr
    assert f'--dataset manifest --data-dir "{manifest}"' in planned.stdout
    assert f'touch "{data}/stamps/warm"' in planned.stdout
    assert f'touch "{data}/meter_arbiter.pt"' in planned.stdout
    assert (data / "stamps" / "dataset").read_text() == f"manifest  {manifest} \n"
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "My Projects", "my data", "my songs.csv"]
    stamp = data / "stamps" / "warm"        # as warm's recipe leaves it, without running warm
    (data / "stamps" / "warm.d").write_text(version_sources("--rule", str(stamp)))
    stamp.touch()
    arguments = ("warm", "DATASET=manifest", f"MANIFEST={manifest}")
    assert make(spaced_clone, "-q", *arguments, data=data).returncode == 0
    edited = make(spaced_clone, "-q", "-W", "lib/meterlab/engine/audio.py", *arguments, data=data)
    assert edited.returncode == 1            # warm.d's rule names the stamp whole
    manifest.touch()
    os.utime(manifest, (stamp.stat().st_mtime + 1,) * 2)
    assert make(spaced_clone, "-q", *arguments, data=data).returncode == 1


def test_default_data_folder_in_a_clone_with_spaces(spaced_clone):
    planned = make(spaced_clone, "-n", "warm")
    assert planned.returncode == 0, planned.stderr
    assert f'touch "{spaced_clone}/data/stamps/warm"' in planned.stdout
    assert (spaced_clone / "data" / "stamps" / "dataset").is_file()


def test_meter2800_folder_with_spaces_finds_its_tables(spaced_clone, tmp_path):
    folder = tmp_path / "METER 2800"
    folder.mkdir()
    missing = make(spaced_clone, "warm", "DATASET=meter2800", f"DATA_DIR={folder}",
                   data=tmp_path / "data")
    assert missing.returncode != 0
    assert f"error: DATA_DIR={folder} has no METER2800 tables" in missing.stderr
    (folder / "data_train_4_classes.tab").write_text('"filename"\t"label"\t"meter"\n')
    planned = make(spaced_clone, "-n", "warm", "DATASET=meter2800", f"DATA_DIR={folder}",
                   data=tmp_path / "data")
    assert planned.returncode == 0, planned.stderr
    assert f'--dataset meter2800 --data-dir "{folder}"' in planned.stdout
