import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np

from meterlab.thirdparty import beat_this, compat
from tests.conftest import click_track


def test_madmom_and_beatnet_import_in_a_fresh_interpreter():
    code = ("from meterlab.thirdparty import compat; compat.ensure(); import madmom, BeatNet.BeatNet; "
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


def beat_this_front_end_settings():
    """The defaults of ``beat_this.preprocessing.LogMelSpect``, read from its source.

    That module imports torchaudio, which has no wheel for this torch, so its argument
    defaults are parsed rather than imported: the reference below owes nothing to the
    parameters this project chose.
    """
    package = importlib.util.find_spec("beat_this").submodule_search_locations[0]
    tree = ast.parse((Path(package) / "preprocessing.py").read_text())
    spect = next(node for node in tree.body
                 if isinstance(node, ast.ClassDef) and node.name == "LogMelSpect")
    init = next(node for node in spect.body
                if isinstance(node, ast.FunctionDef) and node.name == "__init__")
    names = [arg.arg for arg in init.args.args[-len(init.args.defaults):]]
    return dict(zip(names, map(ast.literal_eval, init.args.defaults)))


def slaney_mel(hz):
    """Slaney's mel scale: linear to 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz < 1000.0, hz * 3.0 / 200.0, log_part)


def slaney_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel < 15.0, mel * 200.0 / 3.0,
                    1000.0 * np.exp(np.log(6.4) / 27.0 * (mel - 15.0)))


def reference_logmel(y, s):
    """torchaudio's MelSpectrogram then ``log1p(log_multiplier * x)``, in numpy, for
    LogMelSpect's settings ``s``: periodic Hann STFT centred with reflect padding,
    magnitude divided by sqrt(n_fft), triangular Slaney mel bands without normalisation."""
    assert (s["mel_scale"], s["normalized"], s["power"]) == ("slaney", "frame_length", 1)
    n_fft, hop = s["n_fft"], s["hop_length"]
    padded = np.pad(np.asarray(y, dtype=np.float64), n_fft // 2, mode="reflect")
    starts = np.arange(0, len(padded) - n_fft + 1, hop)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = np.stack([padded[start:start + n_fft] for start in starts]) * window
    magnitude = np.abs(np.fft.rfft(frames, axis=1)) / np.sqrt(n_fft)
    bins = np.linspace(0, s["sample_rate"] / 2, n_fft // 2 + 1)
    edges = slaney_hz(np.linspace(slaney_mel(s["f_min"]), slaney_mel(s["f_max"]),
                                  s["n_mels"] + 2))
    rising = (bins[:, None] - edges[None, :-2]) / np.diff(edges)[None, :-1]
    falling = (edges[None, 2:] - bins[:, None]) / np.diff(edges)[None, 1:]
    bank = np.maximum(0.0, np.minimum(rising, falling))
    return np.log1p(s["log_multiplier"] * magnitude @ bank)


def test_beat_this_logmel_matches_beat_this_own_front_end():
    settings = beat_this_front_end_settings()
    rate = settings["sample_rate"]
    noise = 0.1 * np.random.default_rng(0).standard_normal(5 * rate)
    y = (click_track(duration=5.0, sample_rate=rate) + noise).astype(np.float32)
    ours = beat_this.logmel(y).numpy()
    assert beat_this.SAMPLE_RATE == rate
    reference = reference_logmel(y, settings)
    assert ours.shape == reference.shape == (1 + len(y) // settings["hop_length"],
                                             settings["n_mels"])
    np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-4)
