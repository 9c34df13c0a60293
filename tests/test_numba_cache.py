"""numba's cache under several compiling workers: a save waits for the one in progress.

Unserialised, two workers saving different signatures at once could point the index at
each other's machine code: every later call crashed (librosa's localmax, SIGSEGV)."""
import fcntl
import multiprocessing
import sys

from meterlab.engine.run import init_worker
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
