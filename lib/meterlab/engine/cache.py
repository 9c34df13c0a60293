"""On-disk cache: one entry per (producer, audio file), invalidated by the producer's version.

A *producer* is a shared analysis or a signal (:mod:`meterlab.engine.registry`); its version
(:mod:`meterlab.engine.versions`) changes exactly when its output may.

Entries are ``.npz`` files written atomically (:mod:`meterlab.engine.atomic`), so a killed
run or two workers writing the same entry never leave a half-written entry.
"""
import hashlib
import json
import zipfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .. import config
from .atomic import atomic_open


class StorageError(Exception):
    """The cache cannot be written (disk full, read-only folder): no file is to blame, so
    the run stops, naming the folder and the cause."""


@contextmanager
def _writing(path, mode="wb"):
    """:func:`~meterlab.engine.atomic.atomic_open`, a failure to write raised as
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


def file_digest(path, chunk_size=1 << 20):
    """SHA-1 of a file's bytes: the audio part of every cache key (and a model's hash)."""
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


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
