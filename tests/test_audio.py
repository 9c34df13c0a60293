import tracemalloc

import numpy as np
import pytest
import soundfile as sf

from meterlab.engine import audio
from meterlab.engine.file_analysis import FileAnalysis
from meterlab.engine.audio import AudioError, load_audio
from meterlab.engine.cache import Cache
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
