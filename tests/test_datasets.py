from pathlib import Path

import numpy as np

import pytest

from meterlab.datasets import (
    DatasetConfig, DatasetError, hash_split, read_manifest, read_meter2800, select,
    song_id_from_path, stratified_limit,
)


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    return path


@pytest.fixture
def meter2800(tmp_path):
    """A tiny METER2800 tree as published: three .tab tables and audio/ (partly flattened)."""
    rows = {
        "train": [("/MAG/00001.wav", "three", 3), ("/GTZAN/blues.00002.wav", "four", 4),
                  ("/OWN/song5.wav", "five", 5)],
        "val": [("/MAG/00003.wav", "seven", 7), ("/MAG/00099.wav", "four", 4)],
        "test": [("/FMA/123.wav", "four", 4), ("/FMA/124.wav", "eight", 8)],
    }
    for split, table in rows.items():
        lines = ["filename\tlabel\tmeter"] + [f'"{f}"\t"{l}"\t{m}' for f, l, m in table]
        (tmp_path / f"data_{split}_4_classes.tab").write_text("\n".join(lines) + "\n")
    _touch(tmp_path / "audio/MAG/00001.wav")
    _touch(tmp_path / "audio/GTZAN_blues.00002.wav")       # flattened with its source
    _touch(tmp_path / "audio/OWN/song5.mp3")               # another extension
    _touch(tmp_path / "audio/MAG/00003.wav")
    _touch(tmp_path / "audio/FMA/123.wav")
    _touch(tmp_path / "audio/FMA/124.wav")
    return tmp_path                                        # 00099.wav is missing


def test_meter2800_reads_every_layout_and_reports_problems(meter2800):
    dataset = read_meter2800(meter2800)
    found = {(e.path.name, e.meter, e.split) for e in dataset.entries}
    assert found == {("00001.wav", 3, "train"), ("GTZAN_blues.00002.wav", 4, "train"),
                     ("song5.mp3", 5, "train"), ("00003.wav", 7, "val"),
                     ("123.wav", 4, "test")}
    causes = " | ".join(f"{where} {cause}" for where, cause in dataset.problems)
    assert "00099" in causes and "not found" in causes
    assert "data_test_4_classes.tab:3" in causes and "unknown meter" in causes
    assert len(dataset.problems) == 2


def test_meter2800_tuning_is_train_plus_val(meter2800):
    entries = read_meter2800(meter2800).entries
    assert {e.split for e in select(entries, "tuning")} == {"train", "val"}
    assert [e.split for e in select(entries, "test")] == ["test"]


def test_meter2800_missing_table_is_an_error(meter2800):
    (meter2800 / "data_val_4_classes.tab").unlink()
    with pytest.raises(DatasetError, match="data_val_4_classes.tab"):
        read_meter2800(meter2800)


def test_manifest_hash_split_keeps_song_segments_together(tmp_path):
    lines = ["path,meter"]
    for song in range(40):
        for segment in range(3):
            name = f"audio/song{song:02d}_seg{segment}.wav"
            _touch(tmp_path / name)
            lines.append(f"{name},{3 + song % 2}")
    lines.append("audio/absent.wav,4")
    lines.append("audio/song00_seg0.wav,13")
    (tmp_path / "manifest.csv").write_text("\n".join(lines) + "\n")
    dataset = read_manifest(tmp_path / "manifest.csv")
    assert len(dataset.entries) == 120
    assert [cause for _, cause in dataset.problems][0].startswith("audio file not found")
    assert "unknown meter '13'" in dataset.problems[1][1]
    splits_of_song = {}
    for entry in dataset.entries:
        splits_of_song.setdefault(entry.song_id, set()).add(entry.split)
    assert len(splits_of_song) == 40
    assert all(len(splits) == 1 for splits in splits_of_song.values())
    assert {split for splits in splits_of_song.values() for split in splits} == {
        "train", "val", "test"}


def test_manifest_split_column_and_relative_paths(tmp_path):
    _touch(tmp_path / "a.wav")
    _touch(tmp_path / "b.flac")
    (tmp_path / "m.csv").write_text("path,meter,split\nb.flac,7/8,test\na.wav,3,train\n")
    entries = read_manifest(tmp_path / "m.csv").entries
    assert [(e.path, e.meter, e.split) for e in entries] == [
        (tmp_path / "a.wav", 3, "train"), (tmp_path / "b.flac", 7, "test")]


def test_manifest_missing_column(tmp_path):
    (tmp_path / "m.csv").write_text("file,meter\n")
    with pytest.raises(DatasetError, match="missing column"):
        read_manifest(tmp_path / "m.csv")


def test_missing_corpus_says_how_to_build_it(tmp_path):
    with pytest.raises(DatasetError, match="make data"):
        DatasetConfig("corpus", tmp_path).load("test")


def test_song_id_and_hash_split_are_stable():
    assert song_id_from_path("x/My Song-part02.wav") == "My Song"
    assert song_id_from_path("x/m5_0012.flac") == "m5_0012"
    assert hash_split("My Song") == hash_split("My Song")


def test_stratified_limit_is_deterministic_and_balanced(tmp_path):
    from meterlab.datasets import Entry
    entries = [Entry(Path(f"/x/{m}_{i}.wav"), m, "test", f"{m}_{i}")
               for m in (3, 4, 5, 7) for i in range(10)]
    three = stratified_limit(entries, 3)
    assert len({e.meter for e in three}) == 3
    eight = stratified_limit(list(reversed(entries)), 8)
    assert eight == stratified_limit(entries, 8)
    assert sorted(e.meter for e in eight) == [3, 3, 4, 4, 5, 5, 7, 7]
    assert stratified_limit(entries, 0) == sorted(entries)


def test_validation_mask_keeps_songs_together_and_both_sides_nonempty():
    from meterlab.datasets import validation_mask
    songs = [f"song{i}" for i in range(50) for _ in range(2)]
    mask = validation_mask(songs, 0.2, "salt")
    assert mask[0::2] == mask[1::2]
    assert 0.05 < sum(mask) / len(mask) < 0.4
    for few in (["a", "b"], ["a", "a", "b"]):
        tiny = validation_mask(few, 0.2, "salt")
        assert any(tiny) and not all(tiny)


def test_song_folds_are_balanced_grouped_and_never_empty():
    from meterlab.datasets import song_folds
    songs = [f"s{i}" for i in range(7) for _ in range(3)]
    folds = song_folds(songs, 5, "salt")
    assert sorted(folds) == sorted(set(songs))
    sizes = np.bincount(list(folds.values()), minlength=5)
    assert sizes.min() >= 1 and sizes.max() - sizes.min() <= 1
    assert folds == song_folds(list(reversed(songs)), 5, "salt")
