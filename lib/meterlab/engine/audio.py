"""Audio loading: any file the datasets name, as mono float32 at the rate asked for.

Every way a file can be unusable raises :class:`AudioError` naming the file and the
cause, so a batch run can report the file and go on with the others.

Memory stays flat in a file's length: decoding, mixdown and resampling (soxr's streaming
resampler) run a block at a time, and a file longer than :data:`WHOLE_FILE_S` is not
decoded whole at all: :class:`AudioFile` gives a :class:`LongAudio` whose slices are
decoded when asked for, which is how the analyses read it (window by window).
"""
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .. import config
from ..thirdparty import ffmpeg

#: Peak amplitude under which a file counts as silent (about -100 dBFS).
SILENCE_PEAK = 1e-5
#: Frames decoded at a time (about 6 s at 44.1 kHz): the decoder's memory, whatever the
#: file's length.
BLOCK_FRAMES = 1 << 18
#: Files up to this long are decoded whole (10 minutes at 44.1 kHz: 106 MB); longer ones
#: are decoded a slice at a time.
WHOLE_FILE_S = 600.0
#: Seconds decoded beyond each end of a slice and dropped: the resampling filter's context,
#: so that a slice holds the samples that decoding the whole file would give there.
SLICE_PAD_S = 0.1


class AudioError(Exception):
    """A file that cannot be analysed; ``str()`` names the file and the cause."""

    def __init__(self, path, cause):
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


def load_audio(path, sample_rate=config.SAMPLE_RATE, min_duration=config.MIN_DURATION_S):
    """Decode the whole of ``path`` (wav/flac/ogg/mp3, and through ffmpeg m4a/aac and the
    rest; any rate and channel count) to mono float32.

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
    return _decode_whole(_checked_source(path, min_duration), sample_rate)


def _decode_whole(source, sample_rate):
    out = _Output(int(np.ceil(source.seconds * sample_rate)) + 1)
    peak = 0.0
    for part in source.resampled(sample_rate):
        peak = max(peak, float(np.max(np.abs(part), initial=0.0)))
        out.append(part)
    if peak < SILENCE_PEAK:
        raise AudioError(source.path, "audio is silent")
    return out.samples()


class AudioFile:
    """A checked file whose samples are decoded at any rate asked for: whole (as
    :func:`load_audio`) up to :data:`WHOLE_FILE_S`, else as a :class:`LongAudio` that
    decodes the slices asked for. A long file is checked whole once, here, so a bad file
    fails on opening as it would when decoded whole.

    Raises
    ------
    AudioError
        As :func:`load_audio`.
    """

    def __init__(self, path, min_duration=config.MIN_DURATION_S):
        self.source = _checked_source(path, min_duration)
        self.long = self.source.seconds > WHOLE_FILE_S
        if self.long and max(float(np.max(np.abs(block), initial=0.0))
                             for block in self.source.blocks()) < SILENCE_PEAK:
            raise AudioError(path, "audio is silent")

    def samples(self, sample_rate=config.SAMPLE_RATE):
        """Mono float32 samples at ``sample_rate``: an ndarray, or a :class:`LongAudio`."""
        return LongAudio(self.source, sample_rate) if self.long else _decode_whole(
            self.source, sample_rate)


class LongAudio:
    """A long file's mono samples at ``sample_rate``, decoded slice by slice.

    ``len()``, ``y[a:b]`` (an ndarray) and ``np.asarray(y)`` (the whole file: avoid) behave
    as for the array :func:`load_audio` returns, up to the resampler's rounding at a
    slice's ends, which :data:`SLICE_PAD_S` of context keeps away from the samples kept.
    """

    def __init__(self, source, sample_rate):
        self.source = source
        self.sample_rate = sample_rate
        self.length = int(round(source.frames * sample_rate / source.rate))
        step = gcd(source.rate, sample_rate)
        #: Output and input samples of the shortest span starting on both sample grids.
        self._grid = (sample_rate // step, source.rate // step)

    def __len__(self):
        return self.length

    def __array__(self, dtype=None, copy=None):
        return self[:].astype(dtype or np.float32)

    def __getitem__(self, span):
        if not isinstance(span, slice) or span.step not in (None, 1):
            raise TypeError("LongAudio takes contiguous slices only")
        start, stop, _ = span.indices(self.length)
        stop = max(stop, start)
        out_grid, in_grid = self._grid
        pad = int(SLICE_PAD_S * self.sample_rate)
        first = max(start - pad, 0) // out_grid * out_grid
        last = min(stop + pad, self.length)
        frames = (first // out_grid * in_grid,
                  min(-(-last * in_grid // out_grid) + in_grid, self.source.frames))
        decoded = _Output(frames[1] - frames[0])
        for block in self.source.blocks(*frames):
            decoded.append(block)
        decoded = decoded.samples()
        if self.sample_rate != self.source.rate:
            decoded = soxr.resample(decoded, self.source.rate, self.sample_rate)
        piece = decoded[start - first:stop - first].astype(np.float32, copy=False)
        return np.pad(piece, (0, stop - start - len(piece)))


def _checked_source(path, min_duration):
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioError(path, "file is empty (0 bytes)")
    source = _Source(path)
    if source.frames <= 0:
        raise AudioError(path, "no audio samples")
    if source.seconds < min_duration:
        raise AudioError(path, f"too short: {source.seconds:.2f} s < {min_duration:.2f} s")
    return source


class _Source:
    """One file's mono blocks at its own rate, read by libsndfile: from the file itself or,
    for what libsndfile cannot decode, from ffmpeg's decoded copy of it."""

    def __init__(self, path):
        self.path = path
        self._readable = path
        try:
            info = sf.info(str(path))
        except (sf.LibsndfileError, RuntimeError, TypeError) as error:
            try:
                self._copy = ffmpeg.decoded_copy(path)
                self._readable = Path(self._copy.name)
                info = sf.info(str(self._readable))
            except (ffmpeg.FfmpegError, sf.LibsndfileError) as fallback:
                raise AudioError(path, f"cannot decode audio ({error}; {fallback})") from error
        self.rate, self.frames = int(info.samplerate), int(info.frames)

    @property
    def seconds(self):
        return self.frames / self.rate

    def blocks(self, start=0, stop=None):
        """Mono float32 blocks of frames ``[start, stop)``; non-finite samples raise."""
        try:
            with sf.SoundFile(str(self._readable)) as audio:
                audio.seek(start)
                frames = -1 if stop is None else max(stop - start, 0)
                for block in audio.blocks(BLOCK_FRAMES, frames=frames, dtype="float32",
                                          always_2d=True):
                    if not np.all(np.isfinite(block)):
                        raise AudioError(self.path,
                                         "audio contains non-finite samples (NaN or Inf)")
                    yield block.mean(axis=1)
        except (sf.LibsndfileError, RuntimeError, TypeError) as error:
            raise AudioError(self.path, f"cannot decode audio ({error})") from error

    def resampled(self, sample_rate):
        """The whole file's blocks at ``sample_rate`` (soxr's streaming resampler)."""
        if sample_rate == self.rate:
            yield from self.blocks()
            return
        resampler = soxr.ResampleStream(self.rate, sample_rate, 1, dtype="float32")
        for block in self.blocks():
            yield resampler.resample_chunk(block)
        yield resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)


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
