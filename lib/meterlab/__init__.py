"""meterlab: learn a piece of music's meter (beats per bar) from audio.

Several independent *signals* score every candidate meter; a small learned *arbiter*
fuses their scores. See README.md for the workflow.

    >>> import meterlab
    >>> result = meterlab.predict("song.wav")          # doctest: +SKIP
    >>> result.meter, result.confidence, result.model   # doctest: +SKIP

``predict``, ``Predictor`` and ``Prediction`` are imported on first use, so that
``import meterlab`` stays cheap (no torch, no librosa).

Run from a clone, everything generated lives in the clone's ``data/``; installed with
pip, it lives in the user's cache folder. ``METERLAB_DATA`` overrides both; it is set
here, before :mod:`meterlab.config` reads it, so that worker processes see the same folder.
"""
import os
from pathlib import Path

__all__ = ["predict", "Predictor", "Prediction", "__version__"]
_API = ("predict", "Predictor", "Prediction")


def _in_clone():
    package = Path(__file__).resolve().parent
    return package.parent.name == "lib" and (package.parents[1] / "Makefile").is_file()


if not os.environ.get("METERLAB_DATA") and not _in_clone():
    import platformdirs

    os.environ["METERLAB_DATA"] = platformdirs.user_cache_dir("meterlab")


def __getattr__(name):
    if name in _API:
        from . import api

        return getattr(api, name)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(__name__)
        except PackageNotFoundError:
            return "unknown (not installed: run from a clone without `pip install -e .`)"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
