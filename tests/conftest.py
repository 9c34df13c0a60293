"""Shared fixtures: small audio files the tests write themselves, and test signals.

Tests never touch the user's ``data/``: ``METERLAB_DATA`` points at a temporary folder
before ``meterlab.config`` is first imported; nor the models shipped in the package,
unless they ask (:func:`no_shipped_models`).
"""
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

os.environ["METERLAB_DATA"] = tempfile.mkdtemp(prefix="meterlab-test-data-")

import numpy as np
import pytest
import soundfile as sf

from meterlab.engine.versions import producer_version
# Imported before :func:`no_shipped_models` runs, so that the committed tracker and bar
# model (analyses and signals every test reads as shipped) keep their paths in any order
# of tests; only the arbiter and the onset MLP are hidden.
from meterlab.learn import bar_model, shipped
from meterlab.learn.tracker import checkpoint


REPO = Path(__file__).resolve().parents[1]
#: The package's own models folder, before :func:`no_shipped_models` hides it.
SHIPPED_MODELS = shipped.MODELS_DIR


@pytest.fixture(autouse=True)
def no_shipped_models(monkeypatch, tmp_path_factory):
    """Tests see no shipped arbiter or onset MLP (they answer with the vote, the onset MLP
    signal is unavailable) unless they put :data:`SHIPPED_MODELS` back themselves."""
    monkeypatch.setattr(shipped, "MODELS_DIR", tmp_path_factory.getbasetemp() / "no-models")


@pytest.fixture
def shipped_models(monkeypatch):
    """The models shipped in the package, put back (the test data folder has none of
    yours); what a process that never saw :func:`no_shipped_models` (a Dask worker) sees."""
    monkeypatch.setattr(shipped, "MODELS_DIR", SHIPPED_MODELS)
    producer_version.cache_clear()
    yield SHIPPED_MODELS
    producer_version.cache_clear()


@pytest.fixture
def committed_bar_model(monkeypatch):
    """The committed bar model and the committed tracker whose analyses it was trained on
    (its cues' versions include the tracker's checkpoint), whatever an earlier test
    repointed."""
    monkeypatch.setattr(checkpoint, "CHECKPOINT", SHIPPED_MODELS / "tracker" / "tracker.pt")
    monkeypatch.setattr(bar_model, "CHECKPOINT", SHIPPED_MODELS / "bar_model" / "bar_model.pt")
    producer_version.cache_clear()
    yield bar_model.CHECKPOINT
    producer_version.cache_clear()


def load_script(relative_path):
    """A script under ``scripts/`` as a module, so a test can call its ``main``."""
    path = REPO / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def click_track(duration=6.0, sample_rate=22050, bpm=120.0, beats_per_bar=4):
    """Clicks on every beat, louder on the downbeat: audio whose meter is known."""
    y = np.zeros(int(duration * sample_rate), dtype=np.float32)
    click = np.sin(2 * np.pi * 1000 * np.arange(400) / sample_rate) * np.hanning(400)
    for index, time in enumerate(np.arange(0, duration - 0.05, 60.0 / bpm)):
        start = int(time * sample_rate)
        gain = 0.9 if index % beats_per_bar == 0 else 0.4
        y[start:start + len(click)] += gain * click[: len(y) - start]
    return y


@pytest.fixture
def write_audio(tmp_path):
    """Write ``y`` to ``tmp_path/name`` and return the path."""

    def write(name, y, sample_rate=22050, **kwargs):
        path = tmp_path / name
        sf.write(path, y, sample_rate, **kwargs)
        return path

    return write


FAKE_SIGNAL = '''
"""A cheap test signal: a score per meter from the audio's RMS."""
import time
import numpy as np
from meterlab import config

NEEDS = ("audio",)
LIBRARIES = ("numpy",)
DELAY = {delay}


def scores(analysis):
    time.sleep(DELAY)
    rms = float(np.sqrt(np.mean(analysis.audio() ** 2)))
    return np.full(len(config.CANDIDATE_METERS), rms * {factor}, dtype=np.float32)
'''


#: A test signal whose answer is the file's length in whole seconds (a 5 s file -> 5).
SECONDS_SIGNAL = '''
import numpy as np
from meterlab import config

NEEDS = ()
LIBRARIES = ("numpy",)


def scores(analysis):
    seconds = round(len(analysis.audio()) / config.SAMPLE_RATE)
    return np.array([2.0 if meter == seconds else 1.0 for meter in config.CANDIDATE_METERS],
                    dtype=np.float32)
'''


def install_signal(tmp_path, monkeypatch, name, factor=1.0, delay=0.0, source=None):
    """Write a signal module to a file and register it, as a new signal would be.

    ``source`` replaces the default (:data:`FAKE_SIGNAL`) module text."""
    path = tmp_path / f"{name}.py"
    path.write_text(source or FAKE_SIGNAL.format(factor=factor, delay=delay))
    module_name = f"meterlab.signals.{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, module_name, module)
    producer_version.cache_clear()
    return module


METER2800_LABELS = {3: "three", 4: "four", 5: "five", 7: "seven", 8: "eight"}


def write_meter2800_table(path, rows):
    """A METER2800 table in the form its name says: ``.tab`` as published (quoted names
    and labels), ``.csv`` as the mirror (with ``alt_meter``). ``rows``: (filename, meter,
    alt_meter or None)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".tab":
        lines = ['"filename"\t"label"\t"meter"'] + [
            f'"{name}"\t"{METER2800_LABELS[meter]}"\t{meter}' for name, meter, _ in rows]
    else:
        lines = ["filename,label,meter,alt_meter"] + [
            f"{name},{METER2800_LABELS[meter]},{meter},{'' if alt is None else alt}"
            for name, meter, alt in rows]
    path.write_text("\n".join(lines) + "\n")
    return path
