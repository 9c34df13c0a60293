"""numba's cache under several compiling workers: a save waits for the one in progress,
and kernels compiled at import are compiled once, before the workers.

Unserialised, two workers saving different signatures at once could point the index at
each other's machine code: every later call crashed (librosa's localmax, SIGSEGV). Two
workers compiling one gufunc at once could leave one's wrapper beside the other's
kernel: every later call crashed (librosa's pitch interpolation, SIGSEGV)."""
import fcntl
import multiprocessing
import sys

from meterlab.engine.run import init_worker, map_files
from meterlab.thirdparty import numba_cache
from meterlab.thirdparty.numba_cache import lock_path

MODULE = '''
import numba


@numba.njit(cache=True)
def plus_one(x):
    return x + 1
'''


def _compile(folder, done):
    init_worker()
    sys.path.insert(0, str(folder))
    import cached_kernel

    done.send(cached_kernel.plus_one(1))


def test_a_workers_cache_save_waits_for_the_one_in_progress(tmp_path):
    (tmp_path / "cached_kernel.py").write_text(MODULE)
    index = tmp_path / "__pycache__" / "cached_kernel.plus_one-5.py311.nbi"
    index.parent.mkdir()
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    with open(lock_path(str(index)), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)          # another worker is saving
        worker = context.Process(target=_compile, args=(tmp_path, send))
        worker.start()
        assert not receive.poll(15), "the save went ahead while another was in progress"
        assert not index.exists()
        fcntl.flock(held, fcntl.LOCK_UN)
    assert receive.poll(60) and receive.recv() == 2
    worker.join()
    assert index.exists()


GUFUNC = '''
import numba


@numba.guvectorize(["void(float32[:], float32[:])", "void(float64[:], float64[:])"],
                   "(n)->(n)", cache=True)
def doubled(x, out):
    out[:] = 2 * x
'''


def _kernel_was_inherited(_):
    return "cached_gufunc" in sys.modules


def test_workers_inherit_the_kernels_compiled_at_import(tmp_path, monkeypatch):
    (tmp_path / "cached_gufunc.py").write_text(GUFUNC)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(numba_cache, "compile_before_forking", lambda: __import__("cached_gufunc"))
    try:
        inherited = list(map_files(_kernel_was_inherited, [0, 1], workers=2, progress=False))
    finally:
        sys.modules.pop("cached_gufunc", None)
    assert inherited == [True, True], "workers compiled the gufunc themselves, at once"
