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
#: Frames decoded at a time (about 6 s at 44.1 kHz): the decoder's memory, whatever the
#: file's length.
BLOCK_FRAMES = 1 << 18


class AudioError(Exception):
    """A file that cannot be analysed; ``str()`` names the file and the cause."""

    def __init__(self, path, cause):
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


def load_audio(path, sample_rate=config.SAMPLE_RATE, min_duration=config.MIN_DURATION_S):
    """Decode ``path`` (wav/flac/ogg/mp3, any rate and channel count) to mono float32.

    The file is decoded, mixed down and resampled (soxr's streaming resampler) a block
    at a time into the output, so decoding needs memory for the result only, not for
    the file's own channels and rate: an hour of 44.1 kHz stereo costs its 22,050 Hz
    mono samples (320 MB), not several whole copies of the file (several GB).

    Parameters
    ----------
    path : str or Path
    sample_rate : int
        Rate of the returned samples.
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
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioError(path, "file is empty (0 bytes)")
    try:
        with sf.SoundFile(str(path)) as audio:
            return _decode_stream(path, audio, sample_rate, min_duration)
    except (sf.LibsndfileError, RuntimeError, TypeError) as error:
        raise AudioError(path, f"cannot decode audio ({error})") from error


def _decode_stream(path, audio, sample_rate, min_duration):
    """The open ``audio`` as mono float32 at ``sample_rate``, checked block by block."""
    if audio.frames <= 0:
        raise AudioError(path, "no audio samples")
    duration = audio.frames / audio.samplerate
    if duration < min_duration:
        raise AudioError(path, f"too short: {duration:.2f} s < {min_duration:.2f} s")
    resampler = (soxr.ResampleStream(audio.samplerate, sample_rate, 1, dtype="float32")
                 if audio.samplerate != sample_rate else None)
    out = _Output(int(np.ceil(duration * sample_rate)) + 1)
    peak = 0.0
    for block in audio.blocks(BLOCK_FRAMES, dtype="float32", always_2d=True):
        if not np.all(np.isfinite(block)):
            raise AudioError(path, "audio contains non-finite samples (NaN or Inf)")
        mono = block.mean(axis=1)
        peak = max(peak, float(np.max(np.abs(mono))))
        out.append(resampler.resample_chunk(mono) if resampler else mono)
    if resampler:
        out.append(resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
    if peak < SILENCE_PEAK:
        raise AudioError(path, "audio is silent")
    return out.samples()


class _Output:
    """A float32 buffer filled block by block, allocated once for the expected length
    (grown only if a decoder delivers more frames than its header announced)."""

    def __init__(self, expected):
        self.buffer = np.empty(expected, dtype=np.float32)
        self.filled = 0

    def append(self, part):
        end = self.filled + len(part)
        if end > len(self.buffer):
            grown = np.empty(max(end, len(self.buffer) * 5 // 4), dtype=np.float32)
            grown[:self.filled] = self.buffer[:self.filled]
            self.buffer = grown
        self.buffer[self.filled:end] = part
        self.filled = end

    def samples(self):
        return self.buffer[:self.filled]
