"""Atomic file writes: readers see the old file or the new one, never half of one.

A write goes to a temporary file in the same folder, is flushed to disk, then renamed
over the target (``os.replace`` is atomic on one filesystem). A killed process leaves
at most a stray ``.tmp-*`` file, never a truncated result; the next write into that
folder removes the strays whose writer is dead (:func:`remove_stray_temporaries`).
The temporary file is created as ``open`` would create the target (mode 0666 less the
umask), not private as ``tempfile.mkstemp`` makes it: a lab's shared results and caches
stay readable to the group.
"""
import json
import os
import secrets
import socket
import time
from contextlib import contextmanager
from pathlib import Path

TEMPORARY_PREFIX = ".tmp-"
#: A temporary file this old is abandoned whoever wrote it (another machine's, say).
STALE_AFTER_SECONDS = 24 * 3600
_HOST = socket.gethostname().replace("-", "_")
#: Folders this process has already swept.
_swept = set()


@contextmanager
def atomic_open(path, mode="wb"):
    """Open a temporary file that replaces ``path`` when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.parent not in _swept:
        remove_stray_temporaries(path.parent)
        _swept.add(path.parent)
    handle, temporary = _create_temporary(path)
    try:
        with os.fdopen(handle, mode) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _create_temporary(path):
    """``(descriptor, name)`` of a new temporary file beside ``path``, named for its
    writer (:func:`_abandoned` reads the name) and created with the umask's permissions."""
    while True:
        temporary = path.parent / (f"{TEMPORARY_PREFIX}{path.name}-{_HOST}-{os.getpid()}-"
                                   f"{secrets.token_hex(4)}")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue


def remove_stray_temporaries(folder):
    """Remove ``.tmp-*`` files in ``folder`` whose writer, on this machine, is dead, and
    any older than :data:`STALE_AFTER_SECONDS`; a write in progress is left alone."""
    for temporary in Path(folder).glob(f"{TEMPORARY_PREFIX}*"):
        try:
            if _abandoned(temporary):
                temporary.unlink()
        except FileNotFoundError:  # its writer finished, or another sweep got it
            continue


def _abandoned(temporary):
    if time.time() - temporary.stat().st_mtime > STALE_AFTER_SECONDS:
        return True
    parts = temporary.name.rsplit("-", 2)   # .tmp-<name>-<host>, <pid>, <random>
    return (len(parts) == 3 and parts[0].endswith(f"-{_HOST}") and parts[1].isdigit()
            and not _alive(int(parts[1])))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and someone else's
        pass
    return True


def write_json(path, value):
    with atomic_open(path, "w") as stream:
        json.dump(value, stream, indent=1, sort_keys=True, default=str)
        stream.write("\n")
