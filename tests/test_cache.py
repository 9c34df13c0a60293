"""The cache and warm: invalidation, atomic writes, bad files, resumption after a kill."""
import errno
import multiprocessing
import os
import signal
import sys
import time

import numpy as np
import pytest

from meterlab import config
from meterlab.engine import atomic
from meterlab.engine import cache as cache_module
from meterlab.engine import registry
from meterlab.engine.cache import Cache
from meterlab.engine.versions import producer_version
from meterlab.engine.scoring import analyse_file
from meterlab.engine.warm import cache_totals, signal_table, warm
from meterlab.data.datasets import Entry
from tests.conftest import click_track, install_signal, load_script

@pytest.fixture
def fake_signals(tmp_path, monkeypatch):
    for name in ("fake_a", "fake_b"):
        install_signal(tmp_path, monkeypatch, name)
    monkeypatch.setattr(registry, "SIGNALS", ("fake_a", "fake_b"))
    yield ("fake_a", "fake_b")
    producer_version.cache_clear()


@pytest.fixture
def audio_files(write_audio):
    return [write_audio(f"clip{i}.wav", click_track(duration=4.0, bpm=100 + 10 * i))
            for i in range(4)]


def _computed(result):
    return sorted(name[len("signal-"):] for name in result.timings if name.startswith("signal-"))


def test_second_run_is_all_hits(tmp_path, fake_signals, audio_files):
    first = analyse_file(audio_files[0], fake_signals, tmp_path / "cache")
    second = analyse_file(audio_files[0], fake_signals, tmp_path / "cache")
    assert _computed(first) == ["fake_a", "fake_b"]
    assert _computed(second) == []
    assert second.cache_stats["hit"] == 2
    np.testing.assert_array_equal(first.scores["fake_a"], second.scores["fake_a"])


def test_changing_one_signal_recomputes_only_that_signal(tmp_path, monkeypatch, fake_signals,
                                                         audio_files):
    analyse_file(audio_files[0], fake_signals, tmp_path / "cache")
    install_signal(tmp_path, monkeypatch, "fake_b", factor=2.0)   # an edit to its source
    result = analyse_file(audio_files[0], fake_signals, tmp_path / "cache")
    assert _computed(result) == ["fake_b"]
    assert result.cache_stats["stale"] == 1 and result.cache_stats["hit"] == 1
    np.testing.assert_allclose(result.scores["fake_b"], 2 * result.scores["fake_a"])


def test_version_includes_library_versions_and_model_file(tmp_path, monkeypatch, fake_signals):
    module = sys.modules["meterlab.signals.fake_a"]
    before = producer_version(module)
    monkeypatch.setattr(module, "LIBRARIES", ("numpy", "not-installed-anywhere"), raising=False)
    producer_version.cache_clear()
    with_library = producer_version(module)
    model = tmp_path / "model.bin"
    model.write_bytes(b"weights v1")
    monkeypatch.setattr(module, "model_file", lambda: model, raising=False)
    producer_version.cache_clear()
    with_model = producer_version(module)
    model.write_bytes(b"weights v2")
    producer_version.cache_clear()
    assert len({before, with_library, with_model, producer_version(module)}) == 4


def test_crash_during_write_leaves_no_entry(tmp_path, monkeypatch):
    cache = Cache(tmp_path)

    def dying_savez(stream, **arrays):
        stream.write(b"PK\x03\x04 half an entry")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(cache_module.np, "savez", dying_savez)
    with pytest.raises(KeyboardInterrupt):
        cache.put("producer", "v1", "abcdef", {"scores": np.ones(3)})
    monkeypatch.undo()
    assert cache.get("producer", "v1", "abcdef") is None
    assert list(tmp_path.rglob("*")) == [tmp_path / "producer", tmp_path / "producer" / "ab"]


#: Where an entry is cut: nothing left, inside the zip header, the arrays, the metadata,
#: the central directory, and its very last byte.
TRUNCATIONS = (0, 1, 40, 0.25, 0.5, 0.75, -60, -22, -1)


def _cut(path, at):
    data = path.read_bytes()
    keep = int(len(data) * at) if isinstance(at, float) else at % len(data) if at else 0
    path.write_bytes(data[:keep])


@pytest.mark.parametrize("at", TRUNCATIONS)
def test_truncated_entry_is_recomputed_not_trusted(tmp_path, fake_signals, audio_files, at):
    cache_root = tmp_path / "cache"
    first = analyse_file(audio_files[0], fake_signals, cache_root)
    entry = Cache(cache_root).path("signal-fake_a", Cache(cache_root).audio_key(audio_files[0]))
    _cut(entry, at)
    again = analyse_file(audio_files[0], fake_signals, cache_root)
    assert _computed(again) == ["fake_a"]                     # fake_b came from the cache
    assert again.cache_stats["unreadable"] == 1 and again.cache_stats["hit"] >= 1
    for name in fake_signals:
        np.testing.assert_array_equal(again.scores[name], first.scores[name])
    third = analyse_file(audio_files[0], fake_signals, cache_root)
    assert _computed(third) == [] and third.cache_stats["unreadable"] == 0


def test_bad_file_among_good_ones(tmp_path, fake_signals, audio_files):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF but nothing else")
    entries = [Entry(path, 4, "train", path.stem) for path in audio_files[:2] + [corrupt]]
    results = warm(entries, fake_signals, cache_root=tmp_path / "cache", progress=False)
    assert [bool(result.error) for result in results] == [False, False, True]
    assert "corrupt.wav" in results[2].error and "cannot decode" in results[2].error
    rows = {row[0]: row for row in signal_table(results, fake_signals)}
    assert rows["fake_a"][1:5] == [2, 0, 0, 0]
    errors = (tmp_path / "cache" / "errors.json").read_text()
    assert "corrupt.wav" in errors


def _fails_with(code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize("code, workers", [(errno.ENOSPC, 2), (errno.EROFS, 1)])
def test_full_disk_or_read_only_data_folder_stops_warm_naming_the_cause(
        tmp_path, monkeypatch, capsys, fake_signals, write_audio, code, workers):
    songs = [write_audio(f"song{i}.wav", click_track(duration=4.0, bpm=93 + i))
             for i in range(3)]
    manifest = tmp_path / "songs.csv"
    manifest.write_text("path,meter\n" + "".join(f"{song.name},4\n" for song in songs))
    if code == errno.ENOSPC:               # the disk fills as an entry is flushed
        monkeypatch.setattr(atomic.os, "fsync", _fails_with(code))
    else:                                  # nothing can be created in the data folder
        monkeypatch.setattr(atomic, "_create_temporary", _fails_with(code))
    script = load_script("scripts/setup/warm.py")
    with pytest.raises(SystemExit) as stopped:
        script.main(["--dataset", "manifest", "--data-dir", str(manifest), "--split", "all",
                     "-w", str(workers)])
    message = str(stopped.value.code)
    assert message.startswith(f"error: {config.CACHE_DIR}/")
    assert message.endswith(f": cannot write the cache ({os.strerror(code)})")
    assert "song" not in message and "song" not in capsys.readouterr().err


def _warm_in_own_process_group(entries, signals, cache_root):
    os.setpgrp()
    warm(entries, signals, workers=2, cache_root=cache_root, progress=False)


def test_warm_resumes_after_kill(tmp_path, monkeypatch, write_audio):
    install_signal(tmp_path, monkeypatch, "slow", delay=0.4)
    monkeypatch.setattr(registry, "SIGNALS", ("slow",))
    paths = [write_audio(f"song{i}.wav", click_track(duration=4.0, bpm=90 + 5 * i))
             for i in range(10)]                  # five rounds of two workers: time to kill
    entries = [Entry(path, 4, "train", path.stem) for path in paths]
    cache_root = tmp_path / "cache"
    worker = multiprocessing.get_context("fork").Process(
        target=_warm_in_own_process_group, args=(entries, ("slow",), cache_root))
    worker.start()
    deadline = time.time() + 30
    while not list(cache_root.rglob("*.npz")) and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(worker.pid, signal.SIGKILL)          # kill -9 of warm and its workers
    worker.join()
    done_before = len(list(cache_root.rglob("*.npz")))
    assert 1 <= done_before < len(entries)
    results = warm(entries, ("slow",), cache_root=cache_root, progress=False)
    row = signal_table(results, ("slow",))[0]
    assert row[1] + row[2] == len(entries)
    assert row[2] >= done_before - 1       # a kill can land after a rename, before the count
    assert all(result.scores["slow"].shape == (9,) for result in results)
    entries_after = sorted(cache_root.rglob("*.npz"))
    assert len(entries_after) == len(entries)      # a killed write's temp file is no entry
    again = warm(entries, ("slow",), cache_root=cache_root, progress=False)
    assert signal_table(again, ("slow",))[0][1:3] == [0, len(entries)]


def test_warm_totals_count_hits_and_stale_entries(tmp_path, monkeypatch, fake_signals,
                                                  audio_files):
    entries = [Entry(path, 4, "train", path.stem) for path in audio_files]
    first = warm(entries, fake_signals, cache_root=tmp_path / "cache", progress=False)
    assert cache_totals(first)["miss"] == 8 and cache_totals(first)["write"] == 8
    install_signal(tmp_path, monkeypatch, "fake_a", factor=3.0)
    second = warm(entries, fake_signals, cache_root=tmp_path / "cache", progress=False)
    totals = cache_totals(second)
    assert (totals["hit"], totals["stale"], totals["miss"]) == (4, 4, 0)
