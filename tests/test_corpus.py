"""Tests of the embedded corpus generator, on the ``small`` size (a few seconds to build)."""
import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from meterlab.data.build import performance
from meterlab.config import DEFAULT_CLASSES, SAMPLE_RATE
from meterlab.data.build.corpus import (MANIFEST_COLUMNS, PARAMS_NAME, SIZES, build_corpus,
                                        clip_rng, split_counts)
from meterlab.data.datasets import SPLITS
from meterlab.data.layout import annotation_path, read_beats
from meterlab.data.build.corpus.composer import MAX_JITTER_S, MAX_OFFSET_S, compose
from meterlab.data.build.render import SOUNDFONT_PATH

SMALL = SIZES["small"]


def _build(out_dir, seed=0, workers=1):
    return build_corpus(out_dir, SMALL.n_per_class, SMALL.duration_s, seed=seed, workers=workers)


def _rows(manifest):
    with open(manifest, newline="") as f:
        return list(csv.DictReader(f))


def _samples(manifest):
    """Decoded audio of every clip, keyed by manifest path."""
    return {r["path"]: sf.read(manifest.parent / r["path"], dtype="int16")[0] for r in _rows(manifest)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("corpus"))


def test_manifest_columns_and_order(corpus):
    with open(corpus, newline="") as f:
        assert tuple(next(csv.reader(f))) == MANIFEST_COLUMNS
    rows = _rows(corpus)
    paths = [r["path"] for r in rows]
    assert paths == sorted(paths)
    assert len(rows) == SMALL.n_per_class * len(DEFAULT_CLASSES)
    for r in rows:
        assert r["path"].startswith("audio/") and r["path"].endswith(".flac")
        assert (corpus.parent / r["path"]).is_file()
        assert r["split"] in SPLITS


def test_every_class_in_every_split(corpus):
    pairs = {(int(r["meter"]), r["split"]) for r in _rows(corpus)}
    assert pairs == {(m, s) for m in DEFAULT_CLASSES for s in SPLITS}


def test_split_counts_are_stratified():
    assert split_counts(6) == {"train": 2, "val": 2, "test": 2}
    assert split_counts(60) == {"train": 36, "val": 12, "test": 12}
    with pytest.raises(ValueError):
        split_counts(2)


def test_audio_format_and_level(corpus):
    for r in _rows(corpus):
        info = sf.info(corpus.parent / r["path"])
        assert (info.samplerate, info.channels, info.subtype) == (SAMPLE_RATE, 1, "PCM_16")
        assert info.frames == round(SMALL.duration_s * SAMPLE_RATE)
        audio, _ = sf.read(corpus.parent / r["path"], dtype="float32")
        assert 0.85 < np.abs(audio).max() <= 0.91


def test_annotations_match_meter(corpus):
    clips = json.loads((corpus.parent / PARAMS_NAME).read_text())["clips"]
    for r in _rows(corpus):
        meter = int(r["meter"])
        times, positions = read_beats(annotation_path(corpus.parent / r["path"]))
        assert 0 <= times[0] < MAX_OFFSET_S + 1e-6
        assert times[-1] < SMALL.duration_s
        assert np.all(np.diff(times) > 0)
        strict = clips[Path(r["path"]).stem]["style"] is None
        assert strict == np.allclose(np.diff(times), np.diff(times).mean(), atol=1e-5)
        assert set(positions) <= set(range(1, meter + 1))
        assert np.array_equal(positions[1:], positions[:-1] % meter + 1)
        downbeats = np.flatnonzero(positions == 1)
        assert len(downbeats) >= 1
        assert np.all(np.diff(downbeats) == meter)


def test_same_seed_same_corpus_whatever_the_workers(corpus, tmp_path):
    again = _build(tmp_path, workers=2)
    assert again.read_bytes() == corpus.read_bytes()
    for r in _rows(corpus):
        assert (tmp_path / r["path"]).read_bytes() == (corpus.parent / r["path"]).read_bytes()
        beats = annotation_path(corpus.parent / r["path"])
        assert annotation_path(tmp_path / r["path"]).read_bytes() == beats.read_bytes()


def test_different_seed_different_audio(corpus, tmp_path):
    other = _samples(_build(tmp_path, seed=1))
    for path, audio in _samples(corpus).items():
        assert not np.array_equal(other[path], audio)


def test_each_clip_is_rendered_with_the_soundfont_it_drew(tmp_path, monkeypatch):
    """With fonts given, strict-grid and expressive clips both draw one, the build renders
    each clip with it and records it; with none given, every clip has the bundled one."""
    import meterlab.data.build.corpus as corpus_module

    used = {}

    def spy(midi, duration_s, soundfont):
        used[len(used)] = soundfont
        return np.zeros(int(duration_s * SAMPLE_RATE), dtype=np.float32)

    monkeypatch.setattr(corpus_module, "render", spy)
    fonts = (SOUNDFONT_PATH, str(tmp_path / "user.sf2"))
    manifest = build_corpus(tmp_path / "c", 12, SMALL.duration_s, soundfonts=fonts)
    clips = json.loads((manifest.parent / PARAMS_NAME).read_text())["clips"]
    recorded = [clip["soundfont"] for clip in clips.values()]
    assert sorted(used.values()) == sorted(recorded)
    for expressive in (True, False):
        drawn = {clip["soundfont"] for clip in clips.values() if bool(clip["style"]) == expressive}
        assert drawn == set(fonts)
    assert all(c["style"]["soundfont"] == c["soundfont"] for c in clips.values() if c["style"])
    alone = build_corpus(tmp_path / "d", 3, SMALL.duration_s)
    clips = json.loads((alone.parent / PARAMS_NAME).read_text())["clips"]
    assert {clip["soundfont"] for clip in clips.values()} == {SOUNDFONT_PATH}


@pytest.mark.parametrize("meter", [3, 4, 5, 6, 7, 9, 11, 12])
def test_drums_land_on_downbeats(meter):
    """Whenever drums play, every downbeat has a drum hit within the jitter bound."""
    for index in range(6):
        piece = compose(meter, SMALL.duration_s, clip_rng(0, meter, index))
        drums = [i for i in piece.midi.instruments if i.is_drum]
        for inst in piece.midi.instruments:
            assert all(0 <= n.start < n.end <= SMALL.duration_s for n in inst.notes)
        if not drums:
            continue
        onsets = np.array([n.start for n in drums[0].notes])
        for t in piece.downbeats[piece.downbeats < SMALL.duration_s - MAX_JITTER_S]:
            assert np.min(np.abs(onsets - t)) <= MAX_JITTER_S + 1e-9


@pytest.mark.parametrize("meter", DEFAULT_CLASSES)
def test_expressive_clips_are_annotated_with_their_performed_beats(meter):
    """Rubato moves the beats, the bar stays: downbeats every ``meter`` beats, each on a
    bass note (the lowest part, never rolled) within the performance's jitter bound."""
    duration_s = 20.0
    pieces = [compose(meter, duration_s, clip_rng(0, meter, index)) for index in range(12)]
    expressive = [piece for piece in pieces if piece.info["style"] is not None]
    assert expressive
    for piece in expressive:
        intervals = np.diff(piece.beats)
        assert np.all(intervals > 0) and not np.allclose(intervals, intervals.mean(), atol=1e-5)
        assert np.array_equal(piece.positions[1:], piece.positions[:-1] % meter + 1)
        assert np.all(np.diff(np.flatnonzero(piece.positions == 1)) == meter)
        bass = np.array([n.start for n in piece.midi.instruments[0].notes])
        for t in piece.downbeats[piece.downbeats < duration_s - performance.MAX_JITTER_S]:
            assert np.min(np.abs(bass - t)) <= performance.MAX_JITTER_S + 1e-9
