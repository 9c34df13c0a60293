from pathlib import Path

import numpy as np

import pytest

from meterlab.data.datasets import (DatasetConfig, DatasetError, Entry, hash_split,
                                    read_manifest, read_meter2800, select, song_id_from_path,
                                    stratified_limit)
from tests.conftest import write_meter2800_table


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    return path


METER2800_ROWS = {
    "train": [("/MAG/00001.wav", 3, None), ("/GTZAN/blues.00002.wav", 4, None),
              ("/OWN/song5.wav", 5, None), ("/GTZAN/jazz.00007.wav", 3, 6),
              ("/GTZAN/rock.00001.wav", 4, None)],
    "val": [("/MAG/00003.wav", 7, None), ("/MAG/00099.wav", 4, None)],
    "test": [("/FMA/123.wav", 4, None), ("/FMA/124.wav", 8, None), ("/FMA/125.wav", 3, 6)],
}


@pytest.fixture(params=[".tab", ".csv"])
def meter2800(tmp_path, request):
    """A tiny METER2800 tree in one published form (the .tab or the CSV mirror), its
    audio in per-source folders, under audio/ (partly flattened), and GTZAN in its own
    genres/<genre>/ layout linked in from elsewhere."""
    root = tmp_path / "METER2800"
    for split, rows in METER2800_ROWS.items():
        write_meter2800_table(root / f"data_{split}_4_classes{request.param}", rows)
    _touch(root / "MAG/00001.wav")
    _touch(root / "audio/MAG/00003.wav")
    _touch(root / "audio/OWN/song5.mp3")                   # another extension
    _touch(root / "audio/FMA_123.wav")                     # flattened with its source
    _touch(root / "FMA/124.wav")
    _touch(root / "FMA/125.wav")
    _touch(tmp_path / "gtzan/genres/blues/blues.00002.au")  # GTZAN as distributed
    _touch(tmp_path / "gtzan/genres/jazz/jazz.00007.wav")
    (root / "GTZAN").symlink_to(tmp_path / "gtzan")
    return root                                            # MAG 00099, GTZAN rock missing


def test_meter2800_reads_every_form_and_layout(meter2800):
    dataset = read_meter2800(meter2800)
    found = {(str(e.path.relative_to(meter2800)), e.meter, e.split, e.source)
             for e in dataset.entries}
    assert found == {
        ("MAG/00001.wav", 3, "train", "MAG"),
        ("GTZAN/genres/blues/blues.00002.au", 4, "train", "GTZAN"),
        ("GTZAN/genres/jazz/jazz.00007.wav", 3, "train", "GTZAN"),
        ("audio/OWN/song5.mp3", 5, "train", "OWN"),
        ("audio/MAG/00003.wav", 7, "val", "MAG"),
        ("audio/FMA_123.wav", 4, "test", "FMA"),
        ("FMA/125.wav", 3, "test", "FMA")}
    by_name = {e.path.name: e for e in dataset.entries}
    assert by_name["00001.wav"].song_id == "MAG/00001"
    if meter2800.joinpath("data_train_4_classes.csv").is_file():
        assert by_name["125.wav"].alt_meter == 6 and by_name["jazz.00007.wav"].alt_meter == 6
    assert by_name["00001.wav"].alt_meter is None
    assert [cause for _, cause in dataset.problems] == [
        "unknown meter '8' (known: 2, 3, 4, 5, 6, 7, 9, 11, 12)"]
    assert "_4_classes" in dataset.problems[0][0] and dataset.problems[0][0].endswith(":3")
    assert dataset.missing_by_source() == [
        ("GTZAN", 3, 1, meter2800 / "GTZAN/rock.00001.wav"),
        ("MAG", 3, 1, meter2800 / "MAG/00099.wav")]


def test_meter2800_missing_audio_is_reported_per_source_before_running(meter2800, capsys):
    import argparse
    from meterlab import cli

    parser = argparse.ArgumentParser()
    cli.add_dataset_arguments(parser)
    cli.load_entries(parser.parse_args(["--dataset", "meter2800", "--data-dir",
                                        str(meter2800), "--split", "all"]))
    report = capsys.readouterr().err
    assert "rows without audio, skipped (2)" in report
    assert [line.split()[:3] for line in report.splitlines() if line.startswith(("GTZAN", "MAG"))
            ] == [["GTZAN", "3", "1"], ["MAG", "3", "1"]]


def test_meter2800_binary_task_reads_the_2_classes_tables(meter2800):
    suffix = ".csv" if meter2800.joinpath("data_train_4_classes.csv").is_file() else ".tab"
    four = DatasetConfig("meter2800", meter2800, classes=(3, 4)).load("all")
    assert {e.meter for e in four.entries} == {3, 4} and len(four.entries) == 5
    for split in ("train", "val", "test"):
        write_meter2800_table(meter2800 / f"data_{split}_2_classes{suffix}",
                              [("/MAG/00001.wav", 3, None)] if split == "train"
                              else [("/FMA/125.wav", 3, None)])
    binary = DatasetConfig("meter2800", meter2800, classes=(3, 4)).load("all")
    assert sorted(e.path.name for e in binary.entries) == ["00001.wav", "125.wav", "125.wav"]


@pytest.mark.parametrize("problem, expected", [
    ("no folder", "METER2800 folder not found"),
    ("no tables", "expected data_val_4_classes.tab or data_val_4_classes.csv there"),
    ("no audio", "none of the 9 audio files named in the METER2800 tables exists"),
    ("no columns", "expected columns filename and meter"),
])
def test_meter2800_unusable_folder_stops_with_one_sentence(meter2800, problem, expected):
    import shutil

    if problem == "no folder":
        shutil.rmtree(meter2800)
    elif problem == "no tables":
        for table in meter2800.glob("data_val_*"):
            table.unlink()
    elif problem == "no audio":
        for folder in ("MAG", "FMA", "GTZAN", "audio"):
            path = meter2800 / folder
            path.unlink() if path.is_symlink() else shutil.rmtree(path)
    else:
        table = next(meter2800.glob("data_test_*"))
        table.write_text("name\tmeter\n")
    with pytest.raises(DatasetError, match=expected) as error:
        read_meter2800(meter2800)
    assert "\n" not in str(error.value)


def test_meter2800_tuning_is_train_plus_val(meter2800):
    entries = read_meter2800(meter2800).entries
    assert {e.split for e in select(entries, "tuning")} == {"train", "val"}
    assert {e.split for e in select(entries, "test")} == {"test"}


def test_corpus_entries_name_their_source(tmp_path):
    _touch(tmp_path / "audio/a.flac")
    (tmp_path / "manifest.csv").write_text("path,meter,split\naudio/a.flac,3,test\n")
    entries = DatasetConfig("corpus", tmp_path).load("test").entries
    assert [e.source for e in entries] == ["corpus"]


def test_scores_are_their_own_dataset_and_the_corpus_extra_data(tmp_path):
    corpus, scores = tmp_path / "corpus", tmp_path / "scores"
    _touch(corpus / "audio/a.flac")
    (corpus / "manifest.csv").write_text("path,meter,split\naudio/a.flac,3,train\n")
    for name in ("w1", "w2"):
        _touch(scores / f"audio/{name}.flac")
    (scores / "manifest.csv").write_text("path,meter,split,song\n"
                                         "audio/w1.flac,4,train,w1\naudio/w2.flac,3,test,w2\n")
    alone = DatasetConfig("scores", scores).load("all").entries
    assert [(e.path.name, e.source, e.song_id) for e in alone] == [
        ("w1.flac", "scores", "w1"), ("w2.flac", "scores", "w2")]
    with_extra = DatasetConfig("corpus", corpus, scores_root=scores).load("tuning", True)
    assert [(e.path.name, e.dataset) for e in with_extra.entries] == [
        ("a.flac", "corpus"), ("w1.flac", "scores")]
    without = DatasetConfig("corpus", corpus, scores_root=scores).load("tuning")
    assert [e.path.name for e in without.entries] == ["a.flac"]


def test_unlabelled_manifest_keeps_every_row(tmp_path):
    _touch(tmp_path / "a.wav")
    (tmp_path / "m.csv").write_text("path,source\na.wav,mine\nabsent.wav,\n")
    dataset = read_manifest(tmp_path / "m.csv", labelled=False)
    assert [(e.path.name, e.meter, e.source) for e in dataset.entries] == [
        ("a.wav", None, "mine"), ("absent.wav", None, None)]
    with pytest.raises(DatasetError, match="missing column"):
        read_manifest(tmp_path / "m.csv")


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
    assert dataset.missing_by_source() == [("-", 122, 1, tmp_path / "audio/absent.wav")]
    assert [cause for _, cause in dataset.problems] == [
        "unknown meter '13' (known: 2, 3, 4, 5, 6, 7, 9, 11, 12)"]
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
    from meterlab.data.datasets import Entry
    entries = [Entry(Path(f"/x/{m}_{i}.wav"), m, "test", f"{m}_{i}")
               for m in (3, 4, 5, 7) for i in range(10)]
    three = stratified_limit(entries, 3)
    assert len({e.meter for e in three}) == 3
    eight = stratified_limit(list(reversed(entries)), 8)
    assert eight == stratified_limit(entries, 8)
    assert sorted(e.meter for e in eight) == [3, 3, 4, 4, 5, 5, 7, 7]
    assert stratified_limit(entries, 0) == sorted(entries)


def test_validation_mask_keeps_songs_together_and_both_sides_nonempty():
    from meterlab.data.datasets import validation_mask
    songs = [f"song{i}" for i in range(50) for _ in range(2)]
    mask = validation_mask(songs, 0.2, "salt")
    assert mask[0::2] == mask[1::2]
    assert 0.05 < sum(mask) / len(mask) < 0.4
    for few in (["a", "b"], ["a", "a", "b"]):
        tiny = validation_mask(few, 0.2, "salt")
        assert any(tiny) and not all(tiny)


def test_song_folds_are_balanced_grouped_and_never_empty():
    from meterlab.data.datasets import song_folds
    songs = [f"s{i}" for i in range(7) for _ in range(3)]
    folds = song_folds(songs, 5, "salt")
    assert sorted(folds) == sorted(set(songs))
    sizes = np.bincount(list(folds.values()), minlength=5)
    assert sizes.min() >= 1 and sizes.max() - sizes.min() <= 1
    assert folds == song_folds(list(reversed(songs)), 5, "salt")


def test_classes_are_parsed_sorted_and_checked():
    from meterlab.data.datasets import parse_classes
    assert parse_classes("4, 3") == (3, 4)
    for bad in ("3,8", "three", ""):
        with pytest.raises(DatasetError, match="comma-separated meters"):
            parse_classes(bad)


@pytest.mark.parametrize("rows, labelled", [
    ("a.wav,3,,\na.wav,3,MAG,6\n", True),       # one row with source and alt_meter
    ("a.wav,3,MAG,\na.wav,3,,\n", True),
    ("a.wav,,,\na.wav,4,,\n", False),           # predict: one row with a meter, one without
])
def test_same_file_twice_in_a_manifest_is_one_entry_and_a_named_problem(tmp_path, rows,
                                                                         labelled):
    _touch(tmp_path / "a.wav")
    _touch(tmp_path / "b.wav")
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,meter,source,alt_meter\nb.wav,4,,\n" + rows)
    dataset = read_manifest(manifest, labelled=labelled)
    assert [entry.path.name for entry in dataset.entries] == ["a.wav", "b.wav"]
    assert dataset.problems == [(f"{manifest}:4", f"same file as {manifest}:3")]


def test_entries_differing_only_in_missing_fields_sort(tmp_path):
    with_source = Entry(tmp_path / "a.wav", 3, "train", "a", "MAG", 6)
    bare = Entry(tmp_path / "a.wav", 3, "train", "a")
    unlabelled = Entry(tmp_path / "a.wav", None, "", "a")
    assert sorted([with_source, bare, unlabelled]) == [unlabelled, bare, with_source]


@pytest.mark.parametrize("encoding, header", [
    ("utf-8-sig", "path,meter"),          # Excel's "CSV UTF-8": a byte-order mark first
    ("utf-8", " path , meter "),          # padded column names
    ("utf-8-sig", '"path", "meter"'),
])
def test_manifest_saved_by_a_spreadsheet_is_read(tmp_path, encoding, header):
    _touch(tmp_path / "chanson é.wav")
    (tmp_path / "m.csv").write_text(f"{header}\nchanson é.wav,3\n", encoding=encoding)
    dataset = read_manifest(tmp_path / "m.csv")
    assert [(e.path.name, e.meter) for e in dataset.entries] == [("chanson é.wav", 3)]
    assert dataset.problems == []
