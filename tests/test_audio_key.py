"""Audio digests are memoised by (path, size, mtime_ns): cached runs do not re-read audio."""
import os

import numpy as np
import soundfile as sf

from meterlab.engine import cache as cache_module
from meterlab.engine.cache import Cache, file_digest


def test_unchanged_file_is_not_read_again_and_a_changed_one_is(tmp_path, monkeypatch):
    path = tmp_path / "song.wav"
    sf.write(path, np.full(4000, 0.1, dtype=np.float32), 8000)
    reads = []
    monkeypatch.setattr(cache_module, "file_digest",
                        lambda p: reads.append(p) or file_digest(p))
    cache = Cache(tmp_path / "cache")

    first = cache.audio_key(path)
    assert first == file_digest(path) and len(reads) == 1
    assert Cache(tmp_path / "cache").audio_key(path) == first and len(reads) == 1

    sf.write(path, np.full(4000, 0.2, dtype=np.float32), 8000)      # same size, new bytes
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = cache.audio_key(path)
    assert len(reads) == 2 and second == file_digest(path) and second != first


def test_corrupt_memo_is_recomputed(tmp_path):
    path = tmp_path / "song.wav"
    sf.write(path, np.full(4000, 0.1, dtype=np.float32), 8000)
    cache = Cache(tmp_path / "cache")
    digest = cache.audio_key(path)
    for memo in (tmp_path / "cache" / "digests").rglob("*.json"):
        memo.write_text("{")
    assert cache.audio_key(path) == digest
