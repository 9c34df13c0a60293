"""Tests of the real-score dataset: meter rule, selection, work ids, splits by work, builds."""
import csv
import hashlib
import json

import numpy as np
import pytest
import soundfile as sf

from meterlab.data.build import scores
from meterlab.config import SAMPLE_RATE
from meterlab.data.layout import annotation_path, read_beats
from meterlab.data.datasets import DatasetConfig, hash_split
from meterlab.data.build.scores import (COUNTS_NAME, DURATION_RANGE_S, MANIFEST_COLUMNS,
                                        ScoresSize, build_scores, select_works,
                                        works_across_splits)
from meterlab.data.build.scores.catalogue import (Work, meter_class, single_signature,
                                                  tune_title, work_id)
from tests.conftest import load_script

#: A few real works of the music21 corpus: two chorales in 3/4 and 4/4, Essen songs in 3/4 and 5/8.
WORKS = [
    Work("bach", "bach/bwv282.mxl", None, "3/4", "bwv282.mxl", "chorale:christus-der-ist-mein-leben"),
    Work("bach", "bach/bwv154.8.mxl", None, "4/4", "bwv154.8.mxl", "chorale:meinen-jesum"),
    Work("essenFolksong", "essenFolksong/erk30.abc", 134, "3/4", "Hier treten wir her", "tune:hier-treten-wir-her"),
    Work("essenFolksong", "essenFolksong/han2.abc", 185, "5/8", "Zhuowang shan shang", "tune:zhuowang-shan-shang"),
]


def _rows(manifest):
    with open(manifest, newline="") as f:
        return list(csv.DictReader(f))


def _digest(folder):
    """Hashes of the manifest and of every audio and annotation file under ``folder``."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".csv", ".flac", ".beats"))
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def parse_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("parsed")


@pytest.fixture(scope="module")
def built(tmp_path_factory, parse_cache):
    out = tmp_path_factory.mktemp("scores")
    manifest, counts, problems = build_scores(out, WORKS, 2, seed=3, workers=1, cache_dir=parse_cache,
                                              progress=False)
    return manifest, counts, problems


@pytest.mark.parametrize("signature, meter", [
    ("3/4", 3), ("3/8", 3), ("3/2", 3), ("2/4", 4), ("2/2", 4), ("4/4", 4), ("4/2", 4),
    ("5/8", 5), ("5/4", 5), ("7/8", 7), ("7/4", 7), ("6/8", 6), ("9/8", 9), ("12/8", 12),
    ("1/4", None), ("8/8", None), ("11/16", None), ("C", None)])
def test_meter_rule(signature, meter):
    assert meter_class(signature) == meter


def test_only_works_with_one_time_signature_are_used():
    assert single_signature(["3/4"]) == "3/4"
    assert single_signature(["3/4", "3/4"]) == "3/4"
    assert single_signature(["3/4", "2/4"]) is None
    assert single_signature([]) is None
    assert single_signature(["1/4"]) is None


def test_selection_keeps_classes_caps_groups_and_one_file_per_piece():
    krn_twin = Work("bach", "bach/bwv282.krn", None, "3/4", "bwv282", "chorale:christus-der-ist-mein-leben")
    six = Work("essenFolksong", "essenFolksong/x.abc", 1, "6/8", "x", "tune:x")
    pool = WORKS + [krn_twin, six]
    chosen = select_works(pool, (3, 4, 5, 7), ScoresSize(1, 1), seed=0)
    assert {(w.source, w.meter) for w in chosen} == {("bach", 3), ("bach", 4), ("essenFolksong", 3),
                                                     ("essenFolksong", 5)}
    assert len(chosen) == 4 and six not in chosen
    assert six in select_works(pool, (6,), ScoresSize(5, 1), seed=0)
    only_bach = select_works(pool, (3, 4), ScoresSize(5, 1, ("bach",)), seed=0)
    assert {w.source for w in only_bach} == {"bach"} and len(only_bach) == 2


def test_arrangements_and_variants_share_a_work_id():
    titles = {"270": "Befiehl du deine Wege", "271": "Befiehl du deine Wege", "272": "Other"}
    assert work_id("bach", "bach/bwv270.mxl", None, titles) == work_id("bach", "bach/bwv271.mxl", None, titles)
    assert work_id("bach", "bach/bwv270.mxl", None, titles) != work_id("bach", "bach/bwv272.mxl", None, titles)
    assert (work_id("ryansMammoth", "ryansMammoth/FishersHornpipe.abc", "Fisher's -- Hornpipe", {})
            == work_id("oneills1850", "oneills1850/1-50.abc", "The Fisher's Hornpipe", {}))
    assert (work_id("beethoven", "beethoven/opus18no1/movement3.krn", "x", {})
            == work_id("beethoven", "beethoven/opus18no1/movement1.mxl", None, {}))
    assert work_id("palestrina", "palestrina/Kyrie_89.krn", "Kyrie", {}) == \
        work_id("palestrina", "palestrina/Agnus_89.krn", "Agnus", {})
    assert tune_title("Der sich ein faules Gretchen nimmt (Band 1), S. 224") == "sich-ein-faules-gretchen-nimmt"


def _variants(n=6):
    """``n`` distinct files that are arrangements of one work."""
    return [Work("essenFolksong", f"essenFolksong/v{i}.abc", i, "3/4", "Graf und Nonne", "tune:graf-und-nonne")
            for i in range(n)]


def _leaky_split(work):
    """The leak: a split per file instead of per work."""
    return hash_split(work.key, scores.SPLIT_FRACTIONS, scores.SPLIT_SALT)


def test_no_work_crosses_splits_and_the_check_catches_a_leak(monkeypatch):
    variants = _variants()
    rows = [("a.flac", 3, scores.excerpt_split(w), w.work_id, w.source) for w in variants for _ in range(3)]
    assert works_across_splits(rows) == {}
    leaked = [("a.flac", 3, _leaky_split(w), w.work_id, w.source) for w in variants]
    assert works_across_splits(leaked) == {"tune:graf-und-nonne": sorted({r[2] for r in leaked})}


def test_build_refuses_a_work_across_splits(monkeypatch, tmp_path, parse_cache):
    same_work = [Work(w.source, w.path, w.number, w.time_signature, w.title, "one work") for w in WORKS]
    assert len({_leaky_split(w) for w in same_work}) > 1
    monkeypatch.setattr(scores, "excerpt_split", _leaky_split)
    with pytest.raises(AssertionError, match="more than one split"):
        build_scores(tmp_path, same_work, 1, workers=1, cache_dir=parse_cache, progress=False)


def test_built_manifest_splits_by_work(built):
    manifest, counts, problems = built
    assert problems == []
    rows = _rows(manifest)
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert works_across_splits([tuple(r.values()) for r in rows]) == {}
    assert {r["song"] for r in rows} == {w.work_id for w in WORKS}
    assert {r["source"] for r in rows} == {"bach", "essenFolksong"}
    assert json.loads((manifest.parent / COUNTS_NAME).read_text()) == counts
    assert counts["class"] == {"3": sum(r["meter"] == "3" for r in rows), "4": sum(r["meter"] == "4" for r in rows),
                               "5": sum(r["meter"] == "5" for r in rows)}


def test_built_audio_and_beats_are_consistent(built):
    manifest = built[0]
    for r in _rows(manifest):
        meter = int(r["meter"])
        info = sf.info(manifest.parent / r["path"])
        assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 1, "PCM_16")
        duration = info.frames / SAMPLE_RATE
        assert DURATION_RANGE_S[0] <= duration <= DURATION_RANGE_S[1]
        times, positions = read_beats(annotation_path(manifest.parent / r["path"]))
        assert 0 <= times[0] < 0.5 and times[-1] < duration
        assert np.all(np.diff(times) > 0)
        assert np.array_equal(positions[1:], positions[:-1] % meter + 1)
        assert np.sum(positions == 1) >= 2


def test_same_seed_same_dataset_whatever_the_workers(built, tmp_path, parse_cache):
    manifest = built[0]
    again, _, _ = build_scores(tmp_path, WORKS, 2, seed=3, workers=2, cache_dir=parse_cache, progress=False)
    assert _digest(again.parent) == _digest(manifest.parent)
    other, _, _ = build_scores(tmp_path / "other", WORKS[:1], 2, seed=4, workers=1, cache_dir=parse_cache,
                               progress=False)
    first = _rows(other)[0]["path"]
    assert _digest(other.parent)[first] != _digest(manifest.parent)[first]


@pytest.mark.slow
def test_make_scores_small_from_the_catalogue(tmp_path, capsys):
    load_script("scripts/setup/make_scores.py").main(["--size", "small", "--out", str(tmp_path), "--workers", "2"])
    out = capsys.readouterr().out
    assert "essenFolksong" in out and "bach" in out
    rows = _rows(tmp_path / "manifest.csv")
    assert {r["meter"] for r in rows} == {"3", "4", "5", "7"}
    assert works_across_splits([tuple(r.values()) for r in rows]) == {}
    entries = DatasetConfig(kind="scores", root=tmp_path).load("all").entries
    assert {(e.song_id, e.source, e.meter) for e in entries} == {(r["song"], r["source"], int(r["meter"])) for r in rows}


def test_accompaniment_follows_the_key_and_the_bars():
    from meterlab.data.build.performance import Score
    from meterlab.data.build.scores.accompaniment import accompany, estimate_key

    # arpeggios in 3/4, one chord per bar: G, C, D, G (G major)
    melody = [67, 71, 74, 72, 76, 67, 62, 66, 69, 67, 71, 74] * 2
    tune = Score(onsets=np.arange(24.0), durations=np.ones(24), pitches=np.array(melody),
                 parts=np.zeros(24, int), meter=3)
    assert estimate_key(tune.pitches, tune.durations) == (7, True)
    full = accompany(tune, np.random.default_rng(0))
    assert full.n_parts == 3 and np.array_equal(full.pitches[full.parts == 2], tune.pitches)
    bass = full.parts == 0
    assert np.array_equal(full.onsets[bass], np.arange(0, 24, 3))
    assert list(full.pitches[bass] % 12) == [7, 0, 2, 7] * 2
