"""Atomic writes: a killed writer's temporary file is cleaned up by the next write, and a
written file has the permissions a plain write would give it."""
import os
import subprocess
import sys
import time

from meterlab.engine import atomic
from meterlab.engine.atomic import atomic_open, write_json

KILLED_MID_WRITE = """
import os, signal, sys
from meterlab.engine.atomic import atomic_open
with atomic_open(sys.argv[1]) as stream:
    stream.write(b"half")
    stream.flush()
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _strays(folder):
    return sorted(path.name for path in folder.glob(".tmp-*"))


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "table.npz"
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(target)])
    assert killed.returncode == -9
    assert len(_strays(tmp_path)) == 1 and not target.exists()
    write_json(tmp_path / "other.json", {"a": 1})
    assert _strays(tmp_path) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other.json"]


def test_a_write_in_progress_and_a_recent_foreign_one_are_left_alone(tmp_path):
    old = tmp_path / ".tmp-x.npz-otherhost-123-abcdefgh"
    recent = tmp_path / ".tmp-y.npz-otherhost-123-abcdefgh"
    for path in (old, recent):
        path.write_bytes(b"")
    long_ago = time.time() - atomic.STALE_AFTER_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    with atomic_open(tmp_path / "z.json", "w") as stream:
        stream.write("{}")
        ours = [name for name in _strays(tmp_path) if "z.json" in name]
        atomic.remove_stray_temporaries(tmp_path)
        assert _strays(tmp_path) == sorted(ours + [recent.name]) and len(ours) == 1
    assert _strays(tmp_path) == [recent.name]
    assert (tmp_path / "z.json").read_text() == "{}"


def test_a_written_file_has_the_permissions_open_would_give_it(tmp_path):
    """Not the private 0600 of a temporary file: others may read shared results."""
    for umask, mode in ((0o022, 0o644), (0o077, 0o600)):
        previous = os.umask(umask)
        try:
            write_json(tmp_path / "results.json", {"umask": umask})
        finally:
            os.umask(previous)
        assert (tmp_path / "results.json").stat().st_mode & 0o777 == mode
