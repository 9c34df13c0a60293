"""The signal registry: every signal the engine runs, in one place.

A signal is one module in this package with ``NEEDS`` (shared analyses it reads, and
``"audio"`` if it reads decoded samples itself), ``LIBRARIES`` (distributions whose
versions change its output), optionally ``model_file()``, and
``scores(analysis) -> array`` of non-negative scores, one per meter in
:data:`meterlab.config.CANDIDATE_METERS`. It raises :class:`meterlab.analysis.Unavailable`
with a reason when it cannot run on a file.
Adding a signal is one new module plus one line in :data:`SIGNALS`.
"""
import importlib

SIGNALS = (
    "madmom",
    "bar_tracking",
    "autocorr",
    "hcdf",
    "beat_pattern",
    "bar_repetition",
    "beatnet",
    "beat_this",
    "onset_mlp",
    "tracker",
)


def signal_module(name):
    if name not in SIGNALS:
        raise KeyError(f"unknown signal {name!r} (known: {', '.join(SIGNALS)})")
    return importlib.import_module(f"{__name__}.{name}")


def parse_signal_list(text):
    """``"a,b"`` -> ``("a", "b")``, checked against the registry; empty -> all signals."""
    names = tuple(name.strip() for name in (text or "").split(",") if name.strip())
    for name in names:
        signal_module(name)
    return names or SIGNALS
