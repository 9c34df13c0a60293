"""numba's on-disk cache, safe when several worker processes compile at once.

librosa's gufuncs and this project's kernels are compiled with ``cache=True``. numba saves
a new compiled signature by reading the function's index, picking the next free data
file, then writing the index and the data file; two processes doing that at once pick
the same data file for different signatures, and the index can end up pointing one
signature at another's machine code. Every later call of that signature, in every
process, then crashes (seen here: librosa's ``localmax`` killing every worker with
SIGSEGV on a fresh install). :func:`serialise_cache_writes` makes the whole save one
step under an exclusive lock beside the index.

A gufunc keeps two caches, its kernel and the wrapper compiled against that kernel.
Locking each save does not stop one worker's wrapper landing beside another's kernel:
the pair then crashes every later process (seen here: librosa's pitch interpolation on a
fresh install; a two-signature toy gufunc, after one of six two-worker compiles). :func:`compile_before_forking`
compiles such kernels once, in the parent, so workers inherit them and write nothing.
"""
import fcntl
from contextlib import contextmanager


@contextmanager
def _exclusive(path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_path(index_path):
    """The lock file that guards the cache index at ``index_path``."""
    return f"{index_path}.lock"


def serialise_cache_writes():
    """Make numba's cache saves in this process wait for each other's, across processes
    (idempotent)."""
    from numba.core.caching import IndexDataCacheFile

    save = IndexDataCacheFile.save
    if getattr(save, "serialised", False):
        return

    def serialised_save(self, key, data):
        with _exclusive(lock_path(self._index_path)):
            save(self, key, data)

    serialised_save.serialised = True
    IndexDataCacheFile.save = serialised_save


def compile_before_forking():
    """Compile (or load) here, in one process, before workers are forked or started, the
    kernels of the modules the analyses reach whose cached gufuncs compile when imported
    (their signatures are given): librosa's ``localmax``, zero crossings and pitch
    interpolation."""
    import librosa.core.audio  # noqa: F401
    import librosa.core.pitch  # noqa: F401
    import librosa.util.utils  # noqa: F401
