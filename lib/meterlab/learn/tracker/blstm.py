"""madmom's downbeat network (Böck, Krebs and Widmer, ISMIR 2016) in torch, to fine-tune it.

madmom's ``RNNDownBeatProcessor`` averages 8 networks of three bidirectional LSTM layers
(25 units each way, with peephole connections) and a softmax over no beat / beat /
downbeat, on a stack of log-filtered spectrograms of three frame sizes and their
positive differences at 100 frames/s. :class:`DownbeatBLSTM` is one such network with
madmom's layer math (gate order input, forget, cell, output; the output gate's peephole
reads the *new* cell state), so :func:`shipped` starts exactly where madmom's weights
are, and :func:`features` is madmom's own pre-processing, called, not copied.
"""
import copy
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from ...thirdparty import compat

FPS = 100
#: Sample rate madmom's pre-processing works at (it resamples other input to it).
SAMPLE_RATE = 44100
#: Hidden units per direction and layer, and layers, of madmom's downbeat networks.
UNITS = 25
LAYERS = 3
#: madmom's LSTM gates in the order of the fused weight matrices here.
GATES = ("input_gate", "forget_gate", "cell", "output_gate")


@lru_cache(maxsize=1)
def _madmom_processor():
    compat.ensure()
    from madmom.features.downbeats import RNNDownBeatProcessor

    return RNNDownBeatProcessor()


def features(y, sample_rate):
    """madmom's input to its downbeat networks: ``(frames, 314)`` float32 of mono ``y``."""
    pre_processor = _madmom_processor().processors[0]
    return np.asarray(pre_processor(compat.madmom_signal(y, sample_rate)), dtype=np.float32)


def madmom_networks():
    """The 8 shipped madmom ``NeuralNetwork`` objects of the downbeat ensemble."""
    return [network.layers for network in _madmom_processor().processors[1].processors[0]]


class _BidirectionalLSTM(nn.Module):
    """madmom's ``BidirectionalLayer`` of two peephole LSTMs over ``(batch, frames, inputs)``.

    Both directions step together (index 0 forward, 1 backward on the reversed frames),
    so the Python loop over frames, which dominates the cost on a CPU, runs once.
    """

    def __init__(self, n_inputs, units=UNITS):
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(2, n_inputs, 4 * units))
        self.recurrent = nn.Parameter(torch.zeros(2, units, 4 * units))
        self.bias = nn.Parameter(torch.zeros(2, 1, 4 * units))
        #: Peepholes of the input, forget and output gates (madmom's cell has none).
        self.peepholes = nn.Parameter(torch.zeros(2, 3, 1, units))

    def forward(self, x):
        projected = torch.stack([x @ self.weights[0], x.flip(1) @ self.weights[1]])
        batch, units = x.shape[0], self.recurrent.shape[1]
        out = x.new_zeros(2, batch, units)
        state = x.new_zeros(2, batch, units)
        peep_i, peep_f, peep_o = self.peepholes.unbind(1)
        outputs = []
        for t in range(x.shape[1]):
            gates = projected[:, :, t] + self.bias + torch.bmm(out, self.recurrent)
            i, f, c, o = gates.split(units, dim=2)
            state = (torch.tanh(c) * torch.sigmoid(i + state * peep_i)
                     + state * torch.sigmoid(f + state * peep_f))
            out = torch.tanh(state) * torch.sigmoid(o + state * peep_o)
            outputs.append(out)
        both = torch.stack(outputs, dim=2)
        return torch.cat([both[0], both[1].flip(1)], dim=2)

    def to_madmom(self, layer):
        """Write these weights into a madmom ``BidirectionalLayer`` of the same shape."""
        units = self.recurrent.shape[1]
        for index, direction in enumerate((layer.fwd_layer, layer.bwd_layer)):
            peepholes = iter(self.peepholes[index, :, 0].detach().numpy())
            for number, name in enumerate(GATES):
                gate, cut = getattr(direction, name), slice(number * units, (number + 1) * units)
                gate.weights = self.weights[index, :, cut].detach().numpy().copy()
                gate.recurrent_weights = self.recurrent[index, :, cut].detach().numpy().copy()
                gate.bias = self.bias[index, 0, cut].detach().numpy().copy()
                if gate.peephole_weights is not None:
                    gate.peephole_weights = next(peepholes).copy()

    def load_madmom(self, layer):
        """Copy a madmom ``BidirectionalLayer`` of two ``LSTMLayer``."""
        with torch.no_grad():
            for index, direction in enumerate((layer.fwd_layer, layer.bwd_layer)):
                gates = [getattr(direction, name) for name in GATES]
                self.weights[index] = torch.from_numpy(np.hstack([g.weights for g in gates]))
                self.recurrent[index] = torch.from_numpy(np.hstack([g.recurrent_weights for g in gates]))
                self.bias[index, 0] = torch.from_numpy(np.hstack([g.bias for g in gates]))
                self.peepholes[index, :, 0] = torch.from_numpy(np.stack(
                    [g.peephole_weights for g in gates if g.peephole_weights is not None]))


class DownbeatBLSTM(nn.Module):
    """``forward(features (batch, frames, 314))`` -> logits ``(batch, frames, 3)`` (no
    beat, beat, downbeat); softmax of them is madmom's output for shipped weights."""

    def __init__(self, n_bins, units=UNITS, layers=LAYERS):
        super().__init__()
        self.n_bins = n_bins
        sizes = [n_bins] + [2 * units] * (layers - 1)
        self.layers = nn.ModuleList(_BidirectionalLSTM(n, units) for n in sizes)
        self.output = nn.Linear(2 * units, 3)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.output(x)

    def load_madmom(self, layers):
        """Copy a madmom network's ``layers`` (its BidirectionalLayers, then the softmax)."""
        for layer, madmom_layer in zip(self.layers, layers[:-1]):
            layer.load_madmom(madmom_layer)
        with torch.no_grad():
            self.output.weight.copy_(torch.from_numpy(layers[-1].weights.T))
            self.output.bias.copy_(torch.from_numpy(layers[-1].bias))
        return self


def to_madmom(model, index=0):
    """The network as madmom layers (a copy of shipped network ``index`` given ``model``'s
    weights), to run with madmom's faster per-frame loop (:mod:`meterlab.thirdparty.madmom_speedups`)."""
    layers = copy.deepcopy(madmom_networks()[index])
    for layer, madmom_layer in zip(model.layers, layers[:-1]):
        layer.to_madmom(madmom_layer)
    layers[-1].weights = model.output.weight.detach().numpy().T.copy()
    layers[-1].bias = model.output.bias.detach().numpy().copy()
    return layers


def shipped(index=0):
    """Network ``index`` of madmom's ensemble with its shipped weights."""
    layers = madmom_networks()[index]
    return DownbeatBLSTM(layers[0].fwd_layer.cell.weights.shape[0]).load_madmom(layers)


def feature_recipe():
    """What :func:`features` computes, stored in a checkpoint beside the weights."""
    return {"fps": FPS, "sample_rate": SAMPLE_RATE, "madmom": "RNNDownBeatProcessor pre-processing"}


def madmom_activations(model, feats):
    """:func:`activations` run as madmom layers (:func:`to_madmom`): the same values to
    float32 rounding in a fifth of the CPU time of torch's loop over frames."""
    out = np.asarray(feats, dtype=np.float32)
    for layer in to_madmom(model):
        out = layer(out)
    return out[:, 1:]


def activations(model, feats):
    """madmom-style ``(frames, 2)`` beat and downbeat probabilities of one clip's
    ``feats`` (frames, 314), from the network (ported or fused) in eval mode, without
    gradients."""
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(feats, dtype=torch.float32).unsqueeze(0))
    return torch.softmax(logits[0], dim=1)[:, 1:].numpy()
