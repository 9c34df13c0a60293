"""madmom's downbeat network as torch's fused ``nn.LSTM``, to fine-tune every layer on a CPU.

:class:`~.blstm.DownbeatBLSTM` reproduces madmom's peephole LSTMs with a Python loop over
frames: about 40 CPU seconds a step of 8 ten-second crops here. torch's own LSTM has the
same gates in the same order (input, forget, cell, output) but no peepholes, and runs a
step of 32 crops in well under a second, and a minute of audio in 0.08 s where madmom's
loop takes 0.5 s. Dropping the peepholes costs the shipped network nothing on the
held-out tracker works (network 0: beat F 0.718 with them, 0.746 without), so the
network trains, is saved and runs at inference in this form.
"""
import torch
from torch import nn

from .blstm import GATES, LAYERS, UNITS

#: Spread of the weights of units added to madmom's (:meth:`FusedDownbeatBLSTM.from_blstm`).
NEW_UNIT_SCALE = 0.05


class FusedDownbeatBLSTM(nn.Module):
    """``forward(features (batch, frames, 314))`` -> logits ``(batch, frames, 3)``."""

    def __init__(self, n_bins, units=UNITS, layers=LAYERS):
        super().__init__()
        self.n_bins = n_bins
        #: Constructor arguments a checkpoint keeps (:func:`.checkpoint.save`).
        self.options = {"units": units}
        self.lstm = nn.LSTM(n_bins, units, num_layers=layers, bidirectional=True, batch_first=True)
        self.output = nn.Linear(2 * units, 3)

    def forward(self, x):
        return self.output(self.lstm(x)[0])

    @classmethod
    def from_blstm(cls, model, units=UNITS):
        """``model``'s weights, its peepholes dropped; with ``units`` above madmom's, each
        layer gets new units that start with no say in the old ones or the output (their
        outgoing weights are zero), so the network computes exactly the shipped one until
        training gives them a role."""
        fused = cls(model.n_bins, units)
        generator = torch.Generator().manual_seed(0)
        old = (torch.arange(len(GATES))[:, None] * units + torch.arange(UNITS)).ravel()
        with torch.no_grad():
            if units > UNITS:
                for parameter in fused.lstm.parameters():
                    parameter.copy_(NEW_UNIT_SCALE * torch.randn(parameter.shape, generator=generator))
            for number, layer in enumerate(model.layers):
                inputs = (torch.arange(model.n_bins) if number == 0 else
                          torch.cat([torch.arange(UNITS), units + torch.arange(UNITS)]))
                for direction, suffix in enumerate(("", "_reverse")):
                    name = f"l{number}{suffix}"
                    weight_ih = getattr(fused.lstm, f"weight_ih_{name}")
                    weight_ih[old] = 0
                    weight_ih[old[:, None], inputs] = layer.weights[direction].T
                    weight_hh = getattr(fused.lstm, f"weight_hh_{name}")
                    weight_hh[old] = 0
                    weight_hh[old, :UNITS] = layer.recurrent[direction].T
                    getattr(fused.lstm, f"bias_ih_{name}")[old] = layer.bias[direction, 0]
                    getattr(fused.lstm, f"bias_hh_{name}").zero_()
            fused.output.weight.zero_()
            fused.output.weight[:, :UNITS] = model.output.weight[:, :UNITS]
            fused.output.weight[:, units:units + UNITS] = model.output.weight[:, UNITS:]
            fused.output.bias.copy_(model.output.bias)
        return fused
