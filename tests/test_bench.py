"""The bench's memory figure: each input length's own interpreter, not its parent's."""
import numpy as np

from meterlab.engine.run import map_files
from meterlab.evaluate import bench


def _peak(_job):
    return bench.peak_rss_mb()


def test_a_spawned_interpreter_reports_its_own_peak_not_its_parents():
    """ru_maxrss survives exec: a length measured in a fresh interpreter reported the
    bench's own peak, the same for every length."""
    ballast = np.ones(200 * 2 ** 20)          # 1.6 GB, touched
    parent = bench.peak_rss_mb()
    child, = map_files(_peak, [0], 1, False, fresh=True)
    assert ballast[-1] == 1 and parent > 1600
    assert child < parent - 1000
