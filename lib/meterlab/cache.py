"""On-disk cache: one entry per (producer, audio file), invalidated by the producer's version.

A *producer* is a shared analysis or a signal: a module with ``NEEDS`` (its inputs: the
analyses it reads, and ``"audio"`` when it reads decoded samples), ``LIBRARIES``
(distributions whose versions change its output) and optionally ``model_file()``.

Its version follows the data flow: its own code (its source and the project modules it
calls, :data:`FRAMEWORK_MODULES` left out), the version of every input (so, through the
analyses it reads, the decoding code whenever any of them reads audio), its libraries'
versions and its model file, and nothing else. Any of those changing invalidates that
producer and its dependants; nothing else does. :func:`source_files` lists the files
behind a version, for the Makefile.

Entries are ``.npz`` files written atomically (:mod:`meterlab.atomic`), so a killed
run or two workers writing the same entry never leave a half-written entry.
"""
import hashlib
import importlib
import importlib.metadata
import inspect
import json
import types
import zipfile
from collections import Counter
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import config
from .atomic import atomic_open


class StorageError(Exception):
    """The cache cannot be written (disk full, read-only folder): no file is to blame, so
    the run stops, naming the folder and the cause."""


@contextmanager
def _writing(path, mode="wb"):
    """:func:`~meterlab.atomic.atomic_open`, a failure to write raised as
    :class:`StorageError`."""
    try:
        with atomic_open(path, mode) as stream:
            yield stream
    except OSError as error:
        raise StorageError(f"{Path(path).parent}: cannot write the cache "
                           f"({error.strerror or error})") from error


_META_KEY = "__meta__"
#: Folder of the cache holding each audio file's memoised digest.
_DIGESTS = "digests"

#: The input name for decoded audio in a producer's ``NEEDS``.
AUDIO = "audio"
#: The code that makes the samples ``FileAnalysis.audio`` hands out: the decoding
#: module (decoding, mixdown, resampling, and the project code it calls) and that
#: method itself. The rest of :mod:`meterlab.analysis` (memoising, caching, timing)
#: never touches samples, so only the method counts. A new decoding module is added
#: here and nowhere else.
AUDIO_CODE = ("meterlab.audio", "meterlab.analysis:FileAnalysis.audio")
#: Distributions whose versions change the decoded samples.
AUDIO_LIBRARIES = ("soundfile", "soxr")
#: Modules that carry data between producers and disk without changing it (the cache,
#: atomic writes, the per-file context, the engine, dataset readers). A producer that
#: imports one of them, for ``Unavailable`` say, does not depend on its code.
FRAMEWORK_MODULES = frozenset({"meterlab.analysis", "meterlab.atomic", "meterlab.cache",
                               "meterlab.datasets", "meterlab.engine"})


def file_digest(path, chunk_size=1 << 20):
    """SHA-1 of a file's bytes: the audio part of every cache key."""
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def _project_modules(module, seen=None):
    """``module`` and every ``meterlab`` module it uses, directly or indirectly.

    :data:`FRAMEWORK_MODULES` are neither listed nor followed.
    """
    seen = {} if seen is None else seen
    if module.__name__ in seen or module.__name__ in FRAMEWORK_MODULES:
        return seen
    seen[module.__name__] = module
    for value in vars(module).values():
        owner = value if isinstance(value, types.ModuleType) else inspect.getmodule(value)
        if owner is not None and owner.__name__.startswith("meterlab."):
            _project_modules(owner, seen)
    return seen


def _module_code(module):
    """``{name: (file, source)}`` of ``module`` and the project modules it uses."""
    code = {}
    for name, used in _project_modules(module).items():
        path = Path(inspect.getsourcefile(used))
        code[name] = (path, path.read_text())
    return code


def _audio_code():
    """``{name: (file, source)}`` of :data:`AUDIO_CODE` (``module:attribute`` is that
    attribute's source only)."""
    code = {}
    for entry in AUDIO_CODE:
        module_name, _, attribute = entry.partition(":")
        module = importlib.import_module(module_name)
        if not attribute:
            code.update(_module_code(module))
            continue
        target = module
        for part in attribute.split("."):
            target = getattr(target, part)
        code[entry] = (Path(inspect.getsourcefile(module)), inspect.getsource(target))
    return code


def _library_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _code_digest(code, libraries):
    digest = hashlib.sha1()
    for name, (_, source) in sorted(code.items()):
        digest.update(name.encode())
        digest.update(source.encode())
    for library in libraries:
        digest.update(f"{library}=={_library_version(library)}".encode())
    return digest


def _input_version(name):
    """Version of one entry of ``NEEDS``: decoded audio or a shared analysis."""
    if name == AUDIO:
        return _code_digest(_audio_code(), AUDIO_LIBRARIES).hexdigest()[:16]
    return producer_version(f"meterlab.analyses.{name}")


@lru_cache(maxsize=None)
def producer_version(module_name):
    """Version string of a producer module (see the module docstring)."""
    module = importlib.import_module(module_name)
    digest = _code_digest(_module_code(module), getattr(module, "LIBRARIES", ()))
    for needed in getattr(module, "NEEDS", ()):
        digest.update(f"{needed}={_input_version(needed)}".encode())
    model_file = getattr(module, "model_file", None)
    if model_file is not None:
        path = model_file()
        digest.update(file_digest(path).encode() if path and Path(path).is_file() else b"none")
    return digest.hexdigest()[:16]


def source_files(module_name):
    """The project files whose source is in ``module_name``'s version, inputs' included.

    Library versions and model files are in the version too, but are not project files.
    """
    module = importlib.import_module(module_name)
    files = {path for path, _ in _module_code(module).values()}
    for needed in getattr(module, "NEEDS", ()):
        if needed == AUDIO:
            files.update(path for path, _ in _audio_code().values())
        else:
            files.update(source_files(f"meterlab.analyses.{needed}"))
    return files


def _json_scalar(value):
    """numpy scalars (an analysis's ``fps``, say) as plain JSON numbers."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a cache entry")


class Cache:
    """Producer outputs (dicts of arrays and JSON-able values) keyed by audio digest."""

    def __init__(self, root=config.CACHE_DIR):
        self.root = Path(root)
        self.stats = Counter()

    def audio_key(self, path):
        """:func:`file_digest` of ``path``, memoised by (path, size, mtime_ns).

        A cached run would otherwise read every audio file in full just to find its
        entries (METER2800's test split alone is ~3.5 GB). A file rewritten in place
        changes its mtime (or size) and is hashed again.
        """
        stat = Path(path).stat()
        identity = [str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns]
        name = hashlib.sha1(json.dumps(identity).encode()).hexdigest()
        memo = self.root / _DIGESTS / name[:2] / f"{name}.json"
        try:
            return json.loads(memo.read_text())["digest"]
        except (OSError, ValueError, KeyError):
            digest = file_digest(path)
            with _writing(memo, "w") as stream:
                json.dump({"file": identity, "digest": digest}, stream)
            return digest

    def path(self, producer, audio_key):
        return self.root / producer / audio_key[:2] / f"{audio_key}.npz"

    def get(self, producer, version, audio_key):
        """The stored value, or ``None`` when missing, stale or unreadable."""
        path = self.path(producer, audio_key)
        if not path.is_file():
            self.stats["miss"] += 1
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                meta = json.loads(str(stored[_META_KEY]))
                if meta["version"] != version:
                    self.stats["stale"] += 1
                    return None
                value = {key: stored[key] for key in stored.files if key != _META_KEY}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            self.stats["unreadable"] += 1
            return None
        value.update(meta["values"])
        self.stats["hit"] += 1
        return value

    def put(self, producer, version, audio_key, value):
        """Store ``value`` atomically: arrays as arrays, everything else as JSON."""
        arrays = {k: np.asarray(v) for k, v in value.items() if isinstance(v, np.ndarray)}
        plain = {k: v for k, v in value.items() if k not in arrays}
        meta = json.dumps({"version": version, "values": plain}, default=_json_scalar)
        with _writing(self.path(producer, audio_key)) as stream:
            np.savez(stream, **arrays, **{_META_KEY: np.array(meta)})
        self.stats["write"] += 1
