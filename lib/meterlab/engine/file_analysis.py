"""The per-file context that signals read: audio and shared analyses, each computed once.

Shared analyses live in :mod:`meterlab.analyses` (one module each, same producer shape
as a signal); ``analysis["beats"]`` returns the cached value or computes, caches and
returns it. Expensive steps (network activations, beat tracking) therefore run once
per file however many signals read them.

The samples producers receive are shaped by :mod:`meterlab.engine.audio` alone (decoding,
mixdown, resampling), whose code is in the version of every producer that reads audio;
this module only memoises and caches around it.
"""
import time

from .. import config
from .audio import AudioError, AudioFile, LongAudio
from .registry import analysis_module
from .versions import producer_version


class Unavailable(Exception):
    """A producer that cannot run for a known reason (no checkpoint, unreliable beats)."""


def _audio_key(path, cache):
    """Digest of the file's bytes; an unreadable file is an :class:`AudioError` like the rest."""
    try:
        return cache.audio_key(path)
    except FileNotFoundError:
        raise AudioError(path, "file not found") from None
    except OSError as error:
        raise AudioError(path, f"cannot read file ({error.strerror})") from None


def _not_installed(error):
    """A library a producer needs is missing (beat-this, BeatNet: not dependencies of the
    package): :class:`Unavailable`, not cached (installing it must bring the producer
    back). A project module that fails to import is a bug and is raised as it is."""
    if (error.name or "").partition(".")[0] == __name__.partition(".")[0]:
        return error
    return Unavailable(f"needs the {error.name} module, which is not installed")


class FileAnalysis:
    """Lazy, memoised access to one file's audio and shared analyses."""

    def __init__(self, path, cache):
        self.path = path
        self.cache = cache
        self.key = _audio_key(path, cache)
        #: Seconds spent computing each producer in this process (cache hits cost ~0).
        self.timings = {}
        self._nested_seconds = 0.0
        self._file = None
        self._audio = {}
        self._values = {}

    def audio(self, sample_rate=config.SAMPLE_RATE):
        """Mono float32 samples at ``sample_rate`` (an ndarray, or for a long file a
        :class:`~meterlab.engine.audio.LongAudio` decoded slice by slice); raises
        :class:`AudioError`.

        Only the array of the rate last asked for is kept: a file then holds one copy of
        its samples, not one per rate; asking for another rate decodes the file again
        (a fraction of a second for a song)."""
        if sample_rate not in self._audio:
            start = time.perf_counter()
            if self._file is None:
                self._file = AudioFile(self.path)
            self._audio = {rate: y for rate, y in self._audio.items()
                           if isinstance(y, LongAudio)}
            self._audio[sample_rate] = self._file.samples(sample_rate)
            elapsed = time.perf_counter() - start
            self.timings["audio"] = self.timings.get("audio", 0.0) + elapsed
            self._nested_seconds += elapsed
        return self._audio[sample_rate]

    def __getitem__(self, name):
        if name not in self._values:
            module = analysis_module(name)
            self._values[name] = self.produce(module, name, module.compute)
        return self._values[name]

    def produce(self, module, cache_name, compute):
        """Cached ``compute(self)`` for a producer module; :class:`Unavailable` is cached too."""
        version = producer_version(module)
        value = self.cache.get(cache_name, version, self.key)
        if value is None:
            outer_nested, self._nested_seconds = self._nested_seconds, 0.0
            start = time.perf_counter()
            try:
                value = dict(compute(self), available=True)
            except Unavailable as reason:
                value = {"available": False, "reason": str(reason)}
            except ModuleNotFoundError as error:
                raise _not_installed(error) from None
            finally:
                elapsed = time.perf_counter() - start
                self.timings[cache_name] = elapsed - self._nested_seconds
                self._nested_seconds = outer_nested + elapsed
            self.cache.put(cache_name, version, self.key, value)
        if not value["available"]:
            raise Unavailable(value["reason"])
        return value
