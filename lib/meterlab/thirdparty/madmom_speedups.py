"""Faster drop-in versions of madmom's two hottest Python loops, with madmom's values.

madmom computes its LSTM networks (8 of them in RNNDownBeatProcessor, most of a file's
warm cost) one frame at a time in numpy, and bar tracking's semitone spectrogram one
frame per Python call. The replacements keep madmom's weights, formulas and results
(``tests/test_madmom_speedups.py``, ``tests/test_semitone_spectrogram.py``) and are
installed by :func:`meterlab.thirdparty.compat.ensure`.
"""
import numba
import numpy as np


def install():
    """Swap the fast versions in; madmom's own stay reachable as ``madmom_original``."""
    from madmom.audio.spectrogram import SemitoneBandpassSpectrogram
    from madmom.ml.nn.layers import LSTMLayer

    _swap(SemitoneBandpassSpectrogram, "__new__", _semitone_bandpass_spectrogram)
    _swap(LSTMLayer, "activate", _fast_lstm_activate)


def _swap(owner, name, replacement):
    """``owner.name = replacement``, once, keeping the original as
    ``replacement.madmom_original``."""
    if getattr(owner, name) is not replacement:
        replacement.madmom_original = getattr(owner, name)
        setattr(owner, name, replacement)


def _frame_sums(values, frame_size, hop_size, num_frames):
    """``np.sum(FramedSignal(values, frame_size, hop_size, num_frames=...), axis=1)``.

    Frame ``i`` covers ``[int(i * hop) - frame_size // 2, + frame_size)``, zero-padded
    outside the signal, as ``madmom.audio.signal.signal_frame`` cuts it; a cumulative
    sum answers every frame at once instead of one Python call per frame.
    """
    cumulative = np.concatenate(([0.0], np.cumsum(values, dtype=np.float64)))
    starts = (np.arange(num_frames) * hop_size).astype(np.int64) - frame_size // 2
    lo = np.clip(starts, 0, len(values))
    hi = np.clip(starts + frame_size, 0, len(values))
    return cumulative[hi] - cumulative[lo]


def _semitone_bandpass_spectrogram(cls, signal, fps=50., fmin=27.5, fmax=4200.):
    """``SemitoneBandpassSpectrogram.__new__`` (bar tracking's chroma) at a fraction of the cost.

    madmom resamples the whole signal again for each of its 88 bands (three distinct
    rates) and sums each frame's energy in a Python loop (~180k calls for 20 s). Here
    each rate is resampled once and frame energies come from :func:`_frame_sums`; the
    filters and the energy definition are madmom's, and the result matches it
    (``tests/test_semitone_spectrogram.py``).
    """
    from scipy.signal import filtfilt
    from madmom.audio.filters import SemitoneBandpassFilterbank
    from madmom.audio.signal import Signal, resample

    if not isinstance(signal, Signal) or signal.num_channels != 1:
        signal = Signal(signal, num_channels=1)
    num_frames = int(np.round(len(signal) * fps / float(signal.sample_rate)) + 1)
    filterbank = SemitoneBandpassFilterbank(fmin=fmin, fmax=fmax)
    at_rate = {}
    bands = []
    for (b, a), band_rate in zip(filterbank.filters, filterbank.band_sample_rates):
        if band_rate not in at_rate:
            at_rate[band_rate] = signal if band_rate == signal.sample_rate \
                else resample(signal, band_rate)
        energy = filtfilt(b, a, at_rate[band_rate]) ** 2 / band_rate * 22050.
        frame_size = int(np.round(2 * band_rate / float(fps)))
        bands.append(_frame_sums(energy, frame_size, band_rate / float(fps), num_frames))
    spectrogram = np.vstack(bands).T.view(cls)
    spectrogram.filterbank = filterbank
    spectrogram.fps = fps
    return spectrogram


@numba.njit(cache=True)
def _sigmoid(x):
    """madmom's logistic sigmoid, as it computes it: 0.5 * tanh(0.5 * x) + 0.5."""
    return np.float32(0.5) * np.tanh(np.float32(0.5) * x) + np.float32(0.5)


@numba.njit(cache=True)
def _lstm_steps(projected, recurrent, peepholes, prev, state):
    """The recurrent part of madmom's ``LSTMLayer.activate``, frame by frame.

    ``projected`` (frames, 4, hidden) holds each gate's input projection plus bias, in the
    order input, forget, cell, output; ``recurrent`` (4, hidden, hidden) the recurrent
    weights; ``peepholes`` (3, hidden) those of the input, forget and output gates. The
    output gate sees the updated cell state, as in madmom.
    """
    frames, _, hidden = projected.shape
    out = np.empty((frames, hidden), dtype=np.float32)
    gates = np.empty((4, hidden), dtype=np.float32)
    for t in range(frames):
        for k in range(4):
            for j in range(hidden):
                gates[k, j] = projected[t, k, j]
            for m in range(hidden):
                for j in range(hidden):
                    gates[k, j] += prev[m] * recurrent[k, m, j]
        for j in range(hidden):
            input_gate = _sigmoid(gates[0, j] + state[j] * peepholes[0, j])
            forget_gate = _sigmoid(gates[1, j] + state[j] * peepholes[1, j])
            state[j] = np.tanh(gates[2, j]) * input_gate + state[j] * forget_gate
            output_gate = _sigmoid(gates[3, j] + state[j] * peepholes[2, j])
            out[t, j] = np.tanh(state[j]) * output_gate
        prev = out[t]
    return out


def _fast_lstm_activate(layer, data, reset=True):
    """``LSTMLayer.activate``: the input projections of all frames in one product, then
    :func:`_lstm_steps` for the recurrence. Layers with other activation functions than
    madmom's standard ones run madmom's own code."""
    from madmom.ml.nn.activations import sigmoid, tanh

    gated = (layer.input_gate, layer.forget_gate, layer.output_gate)
    if (layer.activation_fn is not tanh or layer.cell.activation_fn is not tanh
            or any(gate.activation_fn is not sigmoid for gate in gated)):
        return _fast_lstm_activate.madmom_original(layer, data, reset)
    gates = (layer.input_gate, layer.forget_gate, layer.cell, layer.output_gate)
    if reset:
        layer.reset()
    data = np.ascontiguousarray(data, dtype=np.float32)    # the backward pass is a reversed view
    hidden = layer.cell.bias.size
    weights = np.concatenate([gate.weights for gate in gates], axis=1)
    biases = np.concatenate([gate.bias for gate in gates])
    projected = (data @ weights + biases).reshape(len(data), 4, hidden)
    recurrent = np.stack([gate.recurrent_weights for gate in gates])
    peepholes = np.stack([np.zeros(hidden, np.float32) if gate.peephole_weights is None
                          else gate.peephole_weights for gate in gated])
    state = np.array(layer._state, dtype=np.float32)
    out = _lstm_steps(np.ascontiguousarray(projected, dtype=np.float32),
                      np.ascontiguousarray(recurrent, dtype=np.float32),
                      np.ascontiguousarray(peepholes, dtype=np.float32),
                      np.array(layer._prev, dtype=np.float32), state)
    if len(out):
        layer._prev, layer._state = out[-1], state
    return out

