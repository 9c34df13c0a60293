import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from meterlab.engine import audio
from meterlab.thirdparty import ffmpeg
from meterlab.engine.file_analysis import FileAnalysis
from meterlab.engine.audio import AudioError, load_audio
from meterlab.engine.cache import Cache
from meterlab.dsp.windows import windowed_frames
from tests.conftest import click_track


@pytest.mark.parametrize("name, options", [
    ("clip.wav", {}),
    ("clip.flac", {}),
    ("clip.ogg", {"format": "OGG", "subtype": "VORBIS"}),
    ("clip.mp3", {"format": "MP3"}),
])
def test_formats_decode_to_mono_at_requested_rate(write_audio, name, options):
    stereo = np.stack([click_track(sample_rate=44100), click_track(sample_rate=44100)], axis=1)
    path = write_audio(name, stereo, sample_rate=44100, **options)
    y = load_audio(path, sample_rate=22050)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) / 22050 - 6.0) < 0.1
    assert 0.2 < np.max(np.abs(y)) < 1.0


@pytest.mark.parametrize("rate", [22050, 44100])
def test_resampling_keeps_timing_far_from_the_start(write_audio, tmp_path, rate):
    """A pulse at 9.8765 s of a 48 kHz file is still there after resampling to the rates
    the producers read: a delay or a rate error shows here, not in the first second."""
    file_rate, at = 48000, 9.8765
    t = np.arange(12 * file_rate) / file_rate
    pulse = np.exp(-0.5 * ((t - at) / 0.0004) ** 2).astype(np.float32)
    noise = 0.01 * np.random.default_rng(0).standard_normal(len(t)).astype(np.float32)
    path = write_audio("pulse.wav", pulse + noise, sample_rate=file_rate, subtype="FLOAT")
    y = FileAnalysis(path, Cache(tmp_path / "cache")).audio(rate)
    assert len(y) == 12 * rate
    assert abs(np.argmax(y) / rate - at) < 0.0005


def _expect_error(path, cause):
    with pytest.raises(AudioError) as raised:
        load_audio(path)
    assert str(path) in str(raised.value)
    assert cause in str(raised.value)


def test_missing_file(tmp_path):
    _expect_error(tmp_path / "nope.wav", "not found")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    _expect_error(path, "empty")


def test_corrupt_file(tmp_path):
    path = tmp_path / "corrupt.mp3"
    path.write_bytes(b"this is not audio at all" * 100)
    _expect_error(path, "cannot decode")


def test_too_short(write_audio):
    _expect_error(write_audio("short.wav", click_track(duration=1.0)), "too short")


def test_silent(write_audio):
    _expect_error(write_audio("silent.wav", np.zeros(22050 * 5, dtype=np.float32)), "silent")


def test_non_finite(write_audio):
    y = click_track()
    y[1000] = np.nan
    _expect_error(write_audio("nan.wav", y, subtype="FLOAT"), "non-finite")


def _decoding_overhead(path):
    """Bytes numpy allocated at the peak of decoding ``path``, beyond the result's own."""
    tracemalloc.start()
    try:
        y = load_audio(path, sample_rate=22050)
        return tracemalloc.get_traced_memory()[1] - y.nbytes
    finally:
        tracemalloc.stop()


def test_decoding_memory_beyond_the_result_is_flat_in_length(tmp_path):
    """44.1 kHz stereo to 22,050 Hz mono, a block at a time: 30 s and 90 s files need the
    same few blocks beyond their samples, not copies of the whole file."""
    noise = 0.1 * np.random.default_rng(0).standard_normal((90 * 44100, 2)).astype(np.float32)
    overheads = []
    for seconds in (30, 90):
        path = tmp_path / f"{seconds}s.flac"
        sf.write(path, noise[:seconds * 44100], 44100)
        overheads.append(_decoding_overhead(path))
    block_bytes = audio.BLOCK_FRAMES * 2 * 4
    assert abs(overheads[1] - overheads[0]) < block_bytes / 4
    assert overheads[1] < 6 * block_bytes < 90 * 44100 * 2 * 4 / 2


def test_only_the_rate_last_asked_for_is_kept(write_audio, tmp_path):
    path = write_audio("song.wav", click_track(sample_rate=44100), sample_rate=44100)
    analysis = FileAnalysis(path, Cache(tmp_path / "cache"))
    low = analysis.audio(22050)
    assert analysis.audio(22050) is low
    high = analysis.audio(44100)
    assert len(high) == 2 * len(low) and list(analysis._audio) == [44100]
    np.testing.assert_array_equal(analysis.audio(22050), low)


@pytest.mark.parametrize("file_rate, rate", [(44100, 22050), (48000, 22050), (44100, 44100)])
def test_long_file_slices_equal_the_whole_decoding(tmp_path, monkeypatch, file_rate, rate):
    """A file past WHOLE_FILE_S is read a slice at a time: any slice (the start, across
    decoder blocks, the end) holds the samples decoding it whole gives there."""
    noise = 0.1 * np.random.default_rng(1).standard_normal((40 * file_rate, 2)).astype(np.float32)
    path = tmp_path / "long.flac"
    sf.write(path, noise, file_rate)
    whole = load_audio(path, rate)
    monkeypatch.setattr(audio, "WHOLE_FILE_S", 10.0)
    long = audio.AudioFile(path).samples(rate)
    assert isinstance(long, audio.LongAudio) and abs(len(long) - len(whole)) <= 1
    for start, stop in [(0, rate), (7 * rate + 13, 19 * rate + 5), (len(long) - rate, len(long))]:
        part = long[start:stop]
        assert part.dtype == np.float32 and len(part) == stop - start
        np.testing.assert_allclose(part[:len(whole) - start], whole[start:stop], atol=2e-3)


def test_long_file_is_checked_whole_on_opening(tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "WHOLE_FILE_S", 10.0)
    y = click_track(duration=20.0)
    y[15 * 22050] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, y, 22050, subtype="FLOAT")
    with pytest.raises(AudioError, match="non-finite"):
        audio.AudioFile(path)
    sf.write(path, np.zeros(20 * 22050, np.float32), 22050)
    with pytest.raises(AudioError, match="silent"):
        audio.AudioFile(path)


def test_long_file_analyses_hold_one_window_not_the_file(tmp_path, monkeypatch):
    """The analyses read a long file window by window: decoding holds a window's samples,
    never the whole file's (the fault: FileAnalysis decoding every file whole)."""
    seconds, rate = 600, 22050
    path = tmp_path / "long.wav"
    sf.write(path, click_track(duration=seconds, sample_rate=rate), rate)
    monkeypatch.setattr(audio, "WHOLE_FILE_S", 60.0)
    tracemalloc.start()
    try:
        y = FileAnalysis(path, Cache(tmp_path / "cache")).audio(rate)
        seconds_sampled = windowed_frames(lambda segment: segment[::rate].copy(), y, rate, rate)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(seconds_sampled) == seconds
    assert peak < seconds * rate * 4 / 2


def _encode(source, name, tmp_path):
    """``source`` encoded by the bundled ffmpeg (AAC in M4A, say) as ``tmp_path/name``."""
    ffmpeg.encode(source, tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("name, delay", [("pulse.m4a", 0.0), ("pulse.aac", 1024 / 44100)])
def test_aac_decodes_through_ffmpeg_with_its_timing(write_audio, tmp_path, name, delay):
    """libsndfile has no AAC decoder: such files go through ffmpeg, on time (a raw AAC
    stream keeps its encoder's 1024 priming samples: nothing in it says to drop them)."""
    rate, at = 44100, 7.25
    t = np.arange(12 * rate) / rate
    y = (np.exp(-0.5 * ((t - at) / 0.002) ** 2) * np.sin(2 * np.pi * 1000 * t)
         + 0.01 * np.random.default_rng(0).standard_normal(len(t))).astype(np.float32)
    path = _encode(write_audio("pulse.wav", np.stack([y, y], axis=1), sample_rate=rate),
                   name, tmp_path)
    decoded = load_audio(path, sample_rate=22050)
    assert abs(len(decoded) / 22050 - 12.0) < 0.1
    assert abs(np.argmax(np.abs(decoded)) / 22050 - at - delay) < 0.002


def test_long_aac_slices_equal_the_whole_decoding(write_audio, tmp_path, monkeypatch):
    y = 0.1 * np.random.default_rng(2).standard_normal(30 * 44100).astype(np.float32)
    path = _encode(write_audio("noise.wav", y, sample_rate=44100), "noise.m4a", tmp_path)
    whole = load_audio(path, 22050)
    monkeypatch.setattr(audio, "WHOLE_FILE_S", 10.0)
    long = audio.AudioFile(path).samples(22050)
    start, stop = 11 * 22050 + 7, 17 * 22050
    np.testing.assert_allclose(long[start:stop], whole[start:stop], atol=2e-3)


def test_undecodable_file_names_both_decoders(tmp_path):
    path = tmp_path / "song.m4a"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00")
    _expect_error(path, "cannot decode audio")
    with pytest.raises(AudioError, match="ffmpeg"):
        load_audio(path)
