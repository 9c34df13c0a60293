"""Audio loading: any file the datasets name, as mono float32 at the rate asked for.

Every way a file can be unusable raises :class:`AudioError` naming the file and the
cause, so a batch run can report the file and go on with the others.
"""
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .. import config

#: Peak amplitude under which a file counts as silent (about -100 dBFS).
SILENCE_PEAK = 1e-5


class AudioError(Exception):
    """A file that cannot be analysed; ``str()`` names the file and the cause."""

    def __init__(self, path, cause):
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


def load_audio(path, sample_rate=config.SAMPLE_RATE, min_duration=config.MIN_DURATION_S):
    """Decode ``path`` (wav/flac/ogg/mp3, any rate and channel count) to mono float32.

    Parameters
    ----------
    path : str or Path
    sample_rate : int
        Rate of the returned samples; resampled with soxr when the file differs.
    min_duration : float
        Seconds below which the file is rejected as too short.

    Returns
    -------
    y : np.ndarray, shape (n,), float32

    Raises
    ------
    AudioError
        Missing, empty, undecodable, too short, silent, or non-finite samples.
    """
    return resample(*decode(path, min_duration), sample_rate)


def decode(path, min_duration=config.MIN_DURATION_S):
    """``(y, file_rate)``: the file's samples, mixed to mono, checked as :func:`load_audio`
    says; decode once and :func:`resample` to each rate an analysis needs."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioError(path, "file is empty (0 bytes)")
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise AudioError(path, f"cannot decode audio ({error})") from error
    if data.shape[0] == 0:
        raise AudioError(path, "no audio samples")
    if not np.all(np.isfinite(data)):
        raise AudioError(path, "audio contains non-finite samples (NaN or Inf)")
    duration = data.shape[0] / file_rate
    if duration < min_duration:
        raise AudioError(path, f"too short: {duration:.2f} s < {min_duration:.2f} s")
    y = data.mean(axis=1)
    if np.max(np.abs(y)) < SILENCE_PEAK:
        raise AudioError(path, "audio is silent")
    return np.ascontiguousarray(y, dtype=np.float32), file_rate


def resample(y, file_rate, sample_rate):
    """``y`` at ``sample_rate`` (soxr), contiguous float32."""
    if file_rate != sample_rate:
        y = soxr.resample(y, file_rate, sample_rate)
    return np.ascontiguousarray(y, dtype=np.float32)
