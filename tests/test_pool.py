"""A worker killed mid-job is a reported job, not a hang; the run goes on."""
import os
import signal

import numpy as np
import pytest

from meterlab.engine import registry
from meterlab.engine.versions import producer_version
from meterlab.engine.scoring import run_files
from meterlab.engine.pool import WorkerLost, ordered_map
from tests.conftest import click_track, install_signal

KILLER_SIGNAL = '''
"""Dies (SIGKILL, as the kernel's OOM killer does) on loud files; scores the others."""
import os
import signal
import numpy as np
from meterlab import config

NEEDS = ()
LIBRARIES = ()


def scores(analysis):
    y = analysis.audio()
    if np.max(np.abs(y)) > 0.95:
        os.kill(os.getpid(), signal.SIGKILL)
    return np.ones(len(config.CANDIDATE_METERS), dtype=np.float32)
'''


def _square_or_die(job):
    if job == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    if job == 5:
        raise ValueError("five")
    return job * job


def _nothing():
    pass


def test_killed_worker_yields_on_lost_and_the_rest_in_order():
    jobs = [0, 1, 2, 3, 4, 6, 7]
    results = list(ordered_map(_square_or_die, jobs, 2, _nothing,
                               on_lost=lambda job, cause: (job, cause)))
    assert results[:3] == [0, 1, 4] and results[4:] == [16, 36, 49]
    assert results[3] == (3, "worker process killed by SIGKILL")


def test_without_on_lost_a_killed_worker_raises_and_errors_propagate():
    with pytest.raises(WorkerLost, match="SIGKILL while running 3"):
        list(ordered_map(_square_or_die, [1, 3], 2, _nothing))
    with pytest.raises(ValueError, match="five"):
        list(ordered_map(_square_or_die, [5, 1], 2, _nothing))


def test_engine_reports_the_file_whose_worker_died(tmp_path, monkeypatch, write_audio):
    install_signal(tmp_path, monkeypatch, "killer", source=KILLER_SIGNAL)
    monkeypatch.setattr(registry, "SIGNALS", ("killer",))
    gains = [0.5, 1.0, 0.5, 0.5, 1.0, 0.5]
    paths = [write_audio(f"clip{i}.wav", gain * click_track(duration=4.0) / 0.9)
             for i, gain in enumerate(gains)]
    results = list(run_files(paths, ("killer",), workers=2, cache_root=tmp_path / "cache",
                             progress=False))
    producer_version.cache_clear()
    assert [r.path for r in results] == [str(p) for p in paths]
    for gain, result in zip(gains, results):
        if gain == 1.0:
            assert result.error == f"{result.path}: worker process killed by SIGKILL"
        else:
            assert result.error is None and np.all(result.scores["killer"] == 1)
