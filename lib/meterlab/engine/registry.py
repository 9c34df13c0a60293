"""The producer registry: every shared analysis and every signal, in one place.

A *producer* is a module with ``NEEDS`` (the analyses it reads, and ``"audio"`` when it
reads decoded samples), ``LIBRARIES`` (distributions whose versions change its output)
and optionally ``model_file()``. An analysis has ``compute(analysis) -> dict``; a signal
has ``scores(analysis) -> array``, one non-negative score per meter in
:data:`meterlab.config.CANDIDATE_METERS`, and raises
:class:`meterlab.engine.file_analysis.Unavailable` with a reason when it cannot run on a file.

This is the one place that turns a producer's name into its module: adding a signal is
one new module in :mod:`meterlab.signals` plus one line in :data:`SIGNALS`.
"""
import importlib

_PROJECT = __name__.partition(".")[0]

ANALYSES = (
    "onset",
    "onset_features",
    "chroma",
    "bass",
    "madmom_activations",
    "beats",
    "beatnet_activations",
    "beat_this_activations",
    "tracker_activations",
    "madmom_beats",
)

SIGNALS = (
    "madmom",
    "bar_tracking",
    "autocorr",
    "hcdf",
    "beat_pattern",
    "bar_repetition",
    "beatnet",
    "beat_this",
    "tracker",
    "onset_mlp",
    "bar_model",
)


def _module(package, names, kind, name):
    if name not in names:
        raise KeyError(f"unknown {kind} {name!r} (known: {', '.join(names)})")
    return importlib.import_module(f"{_PROJECT}.{package}.{name}")


def analysis_module(name):
    """The module of the shared analysis ``name``."""
    return _module("analyses", ANALYSES, "analysis", name)


def signal_module(name):
    """The module of the signal ``name`` (a name in :data:`SIGNALS`)."""
    return _module("signals", SIGNALS, "signal", name)


def parse_signal_list(text):
    """``"a,b"`` -> ``("a", "b")``, checked against the registry; empty -> all signals."""
    names = tuple(name.strip() for name in (text or "").split(",") if name.strip())
    for name in names:
        signal_module(name)
    return names or SIGNALS
