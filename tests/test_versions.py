"""Cache versions follow the data flow: the decoding code reaches every producer that reads
audio (directly or through the analyses it needs), the framework's code reaches none."""
import importlib
import json
import os
import pkgutil
import shutil
import subprocess
import sys

import pytest

from meterlab import analyses, signals
from meterlab.analysis import FileAnalysis
from meterlab.cache import AUDIO
from meterlab.engine import analyse_file
from tests.conftest import REPO, click_track

PRODUCERS = tuple(sorted(
    [f"meterlab.analyses.{info.name}" for info in pkgutil.iter_modules(analyses.__path__)]
    + [f"meterlab.signals.{name}" for name in signals.SIGNALS]))
PRINT_VERSIONS = ("import json, sys; from meterlab.cache import producer_version; "
                  "print(json.dumps({name: producer_version(name) for name in sys.argv[1:]}))")


def _append(line):
    return lambda source: source + f"\n{line}\n"


def _edit_method_docstring(method):
    """Prefix the docstring of the first ``def method(`` with a word."""
    def edit(source):
        start = source.index(f"def {method}(")
        quote = source.index('"""', start) + 3
        return source[:quote] + "Edited. " + source[quote:]
    return edit


def versions_after(tmp_path, edits):
    """Every producer's version in a copy of ``lib/`` with ``edits`` (file -> function of
    its source) applied, computed in a fresh interpreter that imports the copy."""
    copy = tmp_path / f"lib-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(REPO / "lib", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for relative, edit in edits.items():
        path = copy / "meterlab" / relative
        path.write_text(edit(path.read_text()))
    env = dict(os.environ, PYTHONPATH=str(copy))
    result = subprocess.run([sys.executable, "-c", PRINT_VERSIONS, *PRODUCERS], env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def changed(before, after):
    return {name for name in before if before[name] != after[name]}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A folder for the copies, and the versions of the unedited copy."""
    folder = tmp_path_factory.mktemp("versions")
    return folder, versions_after(folder, {})


def test_decoding_code_changes_every_audio_reader(baseline):
    folder, before = baseline
    assert changed(before, versions_after(folder, {"audio.py": _append("EDITED = 1")})) \
        == set(PRODUCERS)
    in_method = {"analysis.py": _edit_method_docstring("audio")}
    assert changed(before, versions_after(folder, in_method)) == set(PRODUCERS)


def test_framework_code_changes_no_version(baseline):
    folder, before = baseline
    framework = {
        "cache.py": _edit_method_docstring("put"),
        "atomic.py": _append("EDITED = 1"),
        "datasets.py": _append("EDITED = 1"),
        "engine.py": _append("EDITED = 1"),
        "analysis.py": _edit_method_docstring("produce"),
    }
    assert changed(before, versions_after(folder, framework)) == set()


def test_an_analysis_changes_only_its_dependants(baseline):
    folder, before = baseline
    after = versions_after(folder, {"analyses/chroma.py": _append("EDITED = 1")})
    assert changed(before, after) == {"meterlab.analyses.chroma", "meterlab.signals.autocorr",
                                      "meterlab.signals.bar_repetition",
                                      "meterlab.signals.beat_pattern", "meterlab.signals.hcdf"}


def test_producers_that_read_audio_declare_it(write_audio, tmp_path, monkeypatch):
    """A producer reading ``analysis.audio()`` without ``"audio"`` in NEEDS would keep its
    cache entries across a change of decoding."""
    producing, readers = [], set()
    produce, audio = FileAnalysis.produce, FileAnalysis.audio

    def tracked_produce(self, module, cache_name, compute):
        producing.append(module.__name__)
        try:
            return produce(self, module, cache_name, compute)
        finally:
            producing.pop()

    def tracked_audio(self, *args, **kwargs):
        readers.add(producing[-1])
        return audio(self, *args, **kwargs)

    monkeypatch.setattr(FileAnalysis, "produce", tracked_produce)
    monkeypatch.setattr(FileAnalysis, "audio", tracked_audio)
    path = write_audio("clicks.wav", click_track(beats_per_bar=3))
    result = analyse_file(path, signals.SIGNALS, tmp_path / "cache")
    assert not result.failed and result.error is None
    declared = {name for name in PRODUCERS
                if AUDIO in importlib.import_module(name).NEEDS}
    assert readers and readers <= declared
    # without a checkpoint Beat This! is unavailable before it reads anything
    assert declared - readers <= {"meterlab.analyses.beat_this_activations"}
