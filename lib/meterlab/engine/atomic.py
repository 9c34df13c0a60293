"""Atomic file writes: readers see the old file or the new one, never half of one.

A write goes to a temporary file in the same folder, is flushed to disk, then renamed
over the target (``os.replace`` is atomic on one filesystem). A killed process leaves
at most a stray ``.tmp-*`` file, never a truncated result.
"""
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_open(path, mode="wb"):
    """Open a temporary file that replaces ``path`` when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}-")
    try:
        with os.fdopen(handle, mode) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json(path, value):
    with atomic_open(path, "w") as stream:
        json.dump(value, stream, indent=1, sort_keys=True, default=str)
        stream.write("\n")
