"""The Python API: ``meterlab.predict`` for one file or array, ``meterlab.Predictor`` for many.

Both run the chain eval and the ``meterlab`` command use (:mod:`meterlab.prediction`,
:mod:`meterlab.learn.predictor`): the signals through the engine and its cache, the
arbiter (yours, else the shipped one), the class prior. An array is written to a
temporary audio file first, so it is cached like a file: the cache key is the digest of the
file's bytes, and the same samples at the same rate give the same bytes.
"""
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from . import config
from .data.datasets import DatasetError
from .learn.predictor import check_versions, load_predictor
from .learn.priors import choose_prior
from .prediction import collect_inputs, predict as predict_entries


@dataclass(frozen=True)
class Prediction:
    """One file's answer.

    Attributes
    ----------
    path : str or None
        The file (``None`` for an array).
    meter : int or None
        Beats per bar; ``None`` when the file could not be analysed (see ``error``).
    probabilities : dict
        ``{meter: probability}`` over the model's classes, under the class prior.
    confidence : float or None
        The top probability.
    tempo : float or None
        Beats per minute, where the beat tracking gives one.
    beats : list
        ``[time_s, position_in_bar]`` of each beat (position 1 is the downbeat).
    downbeats : list
        Times (s) of the downbeats.
    grouping : list or None
        The grouping within the bar for 5 and 7 (``[3, 2]``, ``[2, 2, 3]``, ...).
    signals : dict
        ``{signal: its own top meter}`` (``None`` where it gave no answer).
    warnings : list
        Why a signal gave no answer, and library versions that differ from the model's.
    model : str
        Which model answered: yours, the shipped one, or the signal vote.
    error : str or None
        Why the file could not be analysed.
    """

    path: str
    meter: int
    probabilities: dict
    confidence: float
    tempo: float = None
    beats: list = field(default_factory=list)
    downbeats: list = field(default_factory=list)
    grouping: list = None
    signals: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    model: str = ""
    error: str = None

    @classmethod
    def from_record(cls, record, model, library_warnings=()):
        """From a :func:`meterlab.prediction.record` dict."""
        notes = [f"signal {name} gave no answer: {note}"
                 for name, note in record["signal_notes"].items()]
        return cls(path=record["path"], meter=record["predicted"],
                   probabilities=dict(record["probabilities"]),
                   confidence=record["confidence"], tempo=record["tempo"],
                   beats=list(record["beats"]), downbeats=list(record["downbeats"]),
                   grouping=record["grouping"], signals=dict(record["signals"]),
                   warnings=list(library_warnings) + notes, model=model,
                   error=record["error"])


class Predictor:
    """Many files with one loaded model, the signal cache and workers.

    Parameters
    ----------
    checkpoint : str or Path, optional
        An arbiter checkpoint; by default yours (``data/meter_arbiter.pt``), else the one
        shipped in the package, else the signals' vote.
    prior : str, optional
        Class prior: ``"meter2800"`` (METER2800's class shares, the default), ``"uniform"``
        or ``"3:N3,4:N4,..."`` (see :mod:`meterlab.learn.priors`).
    workers : int
        Worker processes for many files.
    scheduler : str, optional
        A Dask scheduler address (or ``local:N``) instead of local workers.
    cache_dir : str or Path, optional
        The signal cache (default: the data folder's ``cache/``).
    progress : bool
        Show a progress bar.

    Raises
    ------
    CheckpointError
        When the model no longer fits the signals' code (a library version that differs
        only warns, see :attr:`warnings`).
    """

    def __init__(self, checkpoint=None, *, prior=None, workers=1, scheduler=None,
                 cache_dir=None, progress=False):
        self.model = load_predictor(checkpoint)
        #: Library versions that differ from those the model was trained with.
        self.warnings = check_versions(self.model)
        for warning in self.warnings:
            warnings.warn(warning, stacklevel=2)
        self.prior = choose_prior(prior, self.model.classes)
        self.workers, self.scheduler, self.progress = workers, scheduler, progress
        self.cache_dir = Path(cache_dir) if cache_dir is not None else config.CACHE_DIR

    @property
    def description(self):
        """Which model answers, in words."""
        return self.model.origin.describe()

    def predict(self, path_or_array, sr=None):
        """The :class:`Prediction` of one audio file, or of mono ``(samples,)`` or
        ``(channels, samples)`` audio at ``sr`` Hz."""
        if isinstance(path_or_array, (str, Path)):
            return self.predict_many([path_or_array])[0]
        with tempfile.TemporaryDirectory(prefix="meterlab-") as folder:
            path = _write_array(path_or_array, sr, Path(folder) / "audio.au")
            answer = self.predict_many([path])[0]
        return replace(answer, path=None)

    def predict_many(self, paths):
        """A :class:`Prediction` per audio file under ``paths`` (files, folders searched
        recursively, CSV manifests), in order; a file that cannot be analysed gets its
        ``error``."""
        try:
            inputs = collect_inputs(paths)
        except DatasetError as error:
            raise ValueError(str(error)) from None
        records = predict_entries(inputs.entries, self.model, self.workers, self.cache_dir,
                                  self.progress, self.scheduler, self.prior, inputs.causes)
        return [Prediction.from_record(record, self.description, self.warnings)
                for record in records]


def _write_array(y, sr, path):
    """``y`` as float32 Sun audio: unlike a float WAV (whose PEAK chunk holds the time of
    writing), the same samples give the same bytes, hence the same cache entries."""
    if sr is None:
        raise ValueError("predict(array) needs sr, the array's sample rate in Hz")
    y = np.asarray(y, dtype=np.float32)
    if y.ndim not in (1, 2) or y.size == 0:
        raise ValueError(f"audio must be (samples,) or (channels, samples), not {y.shape}")
    sf.write(path, y.T, int(sr), subtype="FLOAT")
    return path


def predict(path_or_array, sr=None, *, prior=None, checkpoint=None):
    """The meter of one audio file, or of an array at ``sr`` Hz, as a :class:`Prediction`.

    Parameters
    ----------
    path_or_array : str, Path or numpy.ndarray
        An audio file, or ``(samples,)`` / ``(channels, samples)`` audio.
    sr : int, optional
        The array's sample rate (required for an array).
    prior : str, optional
        Class prior (see :class:`Predictor`; default METER2800's class shares).
    checkpoint : str or Path, optional
        An arbiter checkpoint instead of yours or the shipped one.

    Examples
    --------
    >>> import meterlab
    >>> result = meterlab.predict("waltz.wav")   # doctest: +SKIP
    >>> result.meter, f"{result.confidence:.0%}", result.model   # doctest: +SKIP
    (3, '97%', 'the shipped arbiter ...')

    For many files, load the model once with :class:`Predictor`.
    """
    return Predictor(checkpoint, prior=prior).predict(path_or_array, sr)

