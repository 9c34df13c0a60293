"""Cache versions follow the data flow: the decoding code reaches every producer that reads
audio (directly or through the analyses it needs), the framework's code reaches none."""
import json
import os
import pkgutil
import shutil
import subprocess
import sys

import pytest

from meterlab import analyses, signals
from meterlab.engine import registry
from meterlab.engine.file_analysis import FileAnalysis
from meterlab.engine.scoring import analyse_file
from meterlab.engine.versions import AUDIO
from tests.conftest import REPO, click_track

PRODUCERS = tuple([f"analyses.{name}" for name in registry.ANALYSES]
                  + [f"signals.{name}" for name in registry.SIGNALS])
PRINT_VERSIONS = (
    "import json, sys; from meterlab.engine import versions as v; "
    "print(json.dumps({name: (v.analysis_version if name.startswith('analyses.') "
    "else v.signal_version)(name.partition('.')[2]) for name in sys.argv[1:]}))")


def _append(line):
    return lambda source: source + f"\n{line}\n"


def _edit_function_docstring(function):
    """Prefix the docstring of the first ``def function(`` with a word."""
    def edit(source):
        start = source.index(f"def {function}(")
        quote = source.index('"""', start) + 3
        return source[:quote] + "Edited. " + source[quote:]
    return edit


def versions_after(tmp_path, edits, moves=()):
    """Every producer's version in a copy of ``lib/`` with ``edits`` (file -> function of
    its source) applied and ``moves`` (old, new file) made, computed in a fresh
    interpreter that imports the copy."""
    copy = tmp_path / f"lib-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(REPO / "lib", copy, ignore=shutil.ignore_patterns("__pycache__"))
    package = copy / "meterlab"
    for old, new in moves:
        (package / new).parent.mkdir(parents=True, exist_ok=True)
        (package / new).parent.joinpath("__init__.py").touch()
        (package / old).rename(package / new)
    for relative, edit in edits.items():
        path = package / relative
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
    assert changed(before, versions_after(folder, {"engine/audio.py": _append("EDITED = 1")})) \
        == set(PRODUCERS)


def test_framework_code_changes_no_version(baseline):
    folder, before = baseline
    framework = {f"engine/{name}": _append("EDITED = 1") for name in (
        "cache.py", "atomic.py", "scoring.py", "file_analysis.py", "registry.py", "versions.py",
        "pool.py")}
    framework["data/datasets.py"] = _append("EDITED = 1")
    assert changed(before, versions_after(folder, framework)) == set()


def test_an_analysis_changes_only_its_dependants(baseline):
    folder, before = baseline
    after = versions_after(folder, {"analyses/chroma.py": _append("EDITED = 1")})
    assert changed(before, after) == {"analyses.chroma", "signals.autocorr", "signals.bar_model",
                                      "signals.bar_repetition", "signals.beat_pattern",
                                      "signals.hcdf"}


def test_docstrings_and_comments_change_no_version(baseline):
    folder, before = baseline
    edits = {"analyses/beats.py": _edit_function_docstring("beat_period"),
             "dsp/windows.py": _append("# a comment")}
    assert changed(before, versions_after(folder, edits)) == set()


def test_moving_a_module_changes_no_version(baseline):
    """A file that moves to another folder, its importers following it, keeps every
    cache entry valid."""
    folder, before = baseline
    forms = ("from ..dsp.windows import", "from .windows import")   # the latter within dsp/
    importers = [path.relative_to(REPO / "lib" / "meterlab").as_posix()
                 for path in (REPO / "lib" / "meterlab").rglob("*.py")
                 if any(form in path.read_text() for form in forms)]
    assert len(importers) >= 5

    def follow_move(source):
        for form in forms:
            source = source.replace(form, "from ..moved.windows import")
        return source

    follow = {name: follow_move for name in importers}
    after = versions_after(folder, follow, moves=[("dsp/windows.py", "moved/windows.py")])
    assert changed(before, after) == set()


def test_producers_that_read_audio_declare_it(write_audio, tmp_path, monkeypatch):
    """A producer reading ``analysis.audio()`` without ``"audio"`` in NEEDS would keep its
    cache entries across a change of decoding (every producer a signal reaches is run)."""
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
    result = analyse_file(path, registry.SIGNALS, tmp_path / "cache")
    assert not result.failed and result.error is None
    modules = [registry.signal_module(name) for name in registry.SIGNALS]
    needed = {name for module in modules for name in module.NEEDS if name != AUDIO}
    reached = set()
    while needed:
        name = needed.pop()
        reached.add(name)
        needed |= set(registry.analysis_module(name).NEEDS) - reached - {AUDIO}
    modules += [registry.analysis_module(name) for name in reached]
    declared = {module.__name__ for module in modules if AUDIO in module.NEEDS}
    assert readers and readers <= declared
    # without a checkpoint Beat This! is unavailable before it reads anything
    assert declared - readers <= {"meterlab.analyses.beat_this_activations"}


def test_every_producer_module_is_registered():
    """A module dropped into analyses/ or signals/ but missing from the registry would
    never run, and its inputs' edits would never re-warm it."""
    assert {info.name for info in pkgutil.iter_modules(analyses.__path__)} \
        == set(registry.ANALYSES)
    assert {info.name for info in pkgutil.iter_modules(signals.__path__)} \
        == set(registry.SIGNALS)
