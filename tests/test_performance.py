"""Tests of the expressive performance renderer: tempo curve, accents, beats vs MIDI."""
import numpy as np
import pytest

from meterlab.data.build.performance import (P_NO_ACCENT, TEMPO_RANGE_BPM, Score, Style,
                                             draw_style, perform, velocities)


def _scale_score(meter=3, n_bars=12, downbeat=0.0, fermata_beat=None):
    """One note on every beat, plus an off-beat note halfway through every beat."""
    beats = downbeat + np.arange(n_bars * meter, dtype=float)
    onsets = np.concatenate([beats, beats + 0.5])
    order = np.argsort(onsets)
    onsets = onsets[order]
    fermatas = np.isclose(onsets, fermata_beat) if fermata_beat is not None else None
    return Score(onsets=onsets, durations=np.full(len(onsets), 0.5), pitches=60 + (np.arange(len(onsets)) % 12),
                 parts=np.zeros(len(onsets), int), meter=meter, downbeat=downbeat, fermatas=fermatas)


def _plain_style(**changes):
    """A deadpan performance: steady tempo, no accents, no noise; tests switch one thing on."""
    return Style(tempo_bpm=120.0, **changes)


def test_steady_tempo_gives_equal_beats_and_positions_cycle():
    score = _scale_score(meter=3)
    perf = perform(score, _plain_style(), np.random.default_rng(0), start=0.0, duration_s=10.0, lead_s=0.25)
    assert perf.beats[0] == pytest.approx(0.25)
    assert np.allclose(np.diff(perf.beats), 0.5)
    assert np.array_equal(perf.positions[1:], perf.positions[:-1] % 3 + 1)
    assert perf.positions[0] == 1 and perf.beats[-1] < 10.0


def test_ritardando_stretches_the_last_beats_of_each_phrase_as_drawn():
    score = _scale_score(meter=4)
    style = _plain_style(phrase_bars=2, ritardando=0.4)
    perf = perform(score, style, np.random.default_rng(0), start=0.0, duration_s=15.0)
    intervals = np.diff(perf.beats)
    phrase_pos = np.arange(len(intervals)) % 8
    assert np.allclose(intervals[phrase_pos == 7], 0.5 * 1.4)
    assert np.allclose(intervals[phrase_pos == 6], 0.5 * 1.2)
    assert np.allclose(intervals[phrase_pos < 6], 0.5)


def test_fermata_holds_its_beat():
    score = _scale_score(meter=4, fermata_beat=5.0)
    perf = perform(score, _plain_style(fermata_hold=2.0), np.random.default_rng(0), start=0.0, duration_s=10.0)
    intervals = np.diff(perf.beats)
    assert intervals[5] == pytest.approx(1.0)
    assert np.allclose(np.delete(intervals, 5), 0.5)


def test_rubato_moves_beats_smoothly_around_the_base_tempo():
    score = _scale_score(meter=3, n_bars=30)
    perf = perform(score, _plain_style(rubato=0.08), np.random.default_rng(1), start=0.0, duration_s=30.0)
    intervals = np.diff(perf.beats)
    assert intervals.std() > 0.01
    assert 0.4 < np.median(intervals) < 0.6


def test_no_accent_gives_equal_velocities_on_and_off_the_beat():
    score = _scale_score(meter=4)
    flat = velocities(score, _plain_style(accent=0.0), score.onsets, np.random.default_rng(0))
    assert len(set(flat)) == 1
    accented = velocities(score, _plain_style(accent=12.0), score.onsets, np.random.default_rng(0))
    on_downbeat = np.isclose(score.onsets % 4, 0)
    off_beat = ~np.isclose(score.onsets % 1, 0)
    assert np.all(accented[on_downbeat] == flat[0] + 12)
    assert np.all(accented[off_beat] == flat[0])


def test_beat_annotations_match_the_performed_midi():
    score = _scale_score(meter=5, downbeat=0.0)
    style = _plain_style(rubato=0.06, ritardando=0.3, legato=1.0)
    perf = perform(score, style, np.random.default_rng(3), start=2.0, duration_s=12.0, lead_s=0.1)
    onsets = np.array(sorted(n.start for n in perf.midi.instruments[0].notes))
    for beat in perf.beats:
        assert np.min(np.abs(onsets - beat)) < 1e-9
    assert perf.positions[0] == 3


def test_jitter_keeps_notes_near_the_beats():
    score = _scale_score(meter=3)
    perf = perform(score, _plain_style(jitter_s=0.01), np.random.default_rng(0), start=0.0, duration_s=8.0,
                   lead_s=0.2)
    onsets = np.array(sorted(n.start for n in perf.midi.instruments[0].notes))
    nearest = np.array([np.min(np.abs(onsets - b)) for b in perf.beats])
    assert nearest.max() < 0.05 and nearest.max() > 0


def test_drums_only_when_drawn_and_style_is_meter_free():
    rng = np.random.default_rng(0)
    styles = [draw_style(3, rng) for _ in range(400)]
    tempi = np.array([s.tempo_bpm for s in styles])
    assert TEMPO_RANGE_BPM[0] <= tempi.min() and tempi.max() <= TEMPO_RANGE_BPM[1]
    share_no_accent = np.mean([s.accent == 0 for s in styles])
    assert abs(share_no_accent - P_NO_ACCENT) < 0.08
    assert 0.05 < np.mean([s.drums for s in styles]) < 0.3
    assert all(len(s.programs) == 3 for s in styles)
    score = _scale_score(meter=4)
    with_drums = perform(score, _plain_style(drums=True), np.random.default_rng(0), start=0.0, duration_s=5.0)
    without = perform(score, _plain_style(), np.random.default_rng(0), start=0.0, duration_s=5.0)
    assert [i.is_drum for i in with_drums.midi.instruments] == [False, True]
    assert [i.is_drum for i in without.midi.instruments] == [False]


def test_repeated_score_keeps_the_bar_grid():
    score = _scale_score(meter=3, n_bars=2, downbeat=1.0)
    twice = score.repeated(2)
    assert len(twice.onsets) == 2 * len(score.onsets)
    assert np.array_equal(score.position(twice.onsets[len(score.onsets):]), score.position(score.onsets))


def test_drum_parts_of_a_score_play_on_the_kit():
    score = _scale_score(meter=4)
    score = Score(onsets=score.onsets, durations=score.durations, pitches=np.full(len(score.onsets), 36),
                  parts=(np.arange(len(score.onsets)) % 2), meter=4, drum_parts=(1,))
    perf = perform(score, _plain_style(programs=(33, 0), drum_kit=8, pedal_beats=2), np.random.default_rng(0),
                   start=0.0, duration_s=5.0)
    bass, drums = perf.midi.instruments
    assert (bass.is_drum, bass.program) == (False, 33) and (drums.is_drum, drums.program) == (True, 8)
    assert any(c.number == 64 for c in bass.control_changes)
    assert not any(c.number == 64 for c in drums.control_changes)


def test_each_piece_draws_one_of_the_soundfonts_given():
    rng = np.random.default_rng(0)
    fonts = {draw_style(2, rng, ("bundled.sf2", "user.sf2")).soundfont for _ in range(40)}
    assert fonts == {"bundled.sf2", "user.sf2"}
