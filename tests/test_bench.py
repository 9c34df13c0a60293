"""The bench's figures: each input length's memory from its own interpreter, not its
parent's; stock madmom timed with madmom's own LSTM loop, not meterlab's faster one."""
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


def test_stock_madmom_is_timed_with_madmoms_own_lstm_loop():
    from meterlab.thirdparty import compat, madmom_speedups

    compat.ensure()
    from madmom.ml.nn.layers import LSTMLayer

    assert LSTMLayer.activate is madmom_speedups._fast_lstm_activate
    with bench.madmoms_own_lstm():
        assert LSTMLayer.activate is madmom_speedups._fast_lstm_activate.madmom_original
    assert LSTMLayer.activate is madmom_speedups._fast_lstm_activate
