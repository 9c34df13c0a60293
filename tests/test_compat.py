import subprocess
import sys

import numpy as np

from meterlab import compat
from tests.conftest import click_track


def test_madmom_and_beatnet_import_in_a_fresh_interpreter():
    code = ("from meterlab import compat; compat.ensure(); import madmom, BeatNet.BeatNet; "
            "print(madmom.__version__)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("0.17")


def test_madmom_resamples_without_ffmpeg():
    compat.ensure()
    import madmom.audio.signal

    signal = compat.madmom_signal(click_track(sample_rate=22050), 22050)
    resampled = madmom.audio.signal.resample(signal, 44100)
    assert resampled.sample_rate == 44100
    assert abs(len(resampled) - 2 * len(signal)) <= 2
    assert abs(np.argmax(np.abs(resampled) > 0.1) / 44100 - 0.0) < 0.02


def test_madmom_signal_keeps_its_rate():
    signal = compat.madmom_signal(np.zeros(22050), 22050)
    assert signal.sample_rate == 22050 and signal.dtype == np.float32


def test_beat_this_logmel_matches_its_parameters():
    import librosa

    y = click_track(duration=5.0) + 0.1 * np.random.default_rng(0).standard_normal(5 * 22050)
    y = y.astype(np.float32)
    ours = compat.beat_this_logmel(y).numpy()
    mel = librosa.feature.melspectrogram(
        y=y, sr=22050, n_fft=1024, hop_length=441, win_length=1024, window="hann",
        center=True, pad_mode="reflect", power=1.0, n_mels=128, fmin=30, fmax=11000,
        htk=False, norm=None)
    reference = np.log1p(1000 * mel / np.sqrt(1024)).T
    assert ours.shape == (1 + len(y) // 441, 128)
    np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-4)
