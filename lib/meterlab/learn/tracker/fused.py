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

from .blstm import LAYERS, UNITS


class FusedDownbeatBLSTM(nn.Module):
    """``forward(features (batch, frames, 314))`` -> logits ``(batch, frames, 3)``."""

    def __init__(self, n_bins, units=UNITS, layers=LAYERS):
        super().__init__()
        self.n_bins = n_bins
        self.lstm = nn.LSTM(n_bins, units, num_layers=layers, bidirectional=True, batch_first=True)
        self.output = nn.Linear(2 * units, 3)

    def forward(self, x):
        return self.output(self.lstm(x)[0])

    @classmethod
    def from_blstm(cls, model):
        """``model``'s weights, its peepholes dropped."""
        fused = cls(model.n_bins)
        with torch.no_grad():
            for number, layer in enumerate(model.layers):
                for direction, suffix in enumerate(("", "_reverse")):
                    name = f"l{number}{suffix}"
                    getattr(fused.lstm, f"weight_ih_{name}").copy_(layer.weights[direction].T)
                    getattr(fused.lstm, f"weight_hh_{name}").copy_(layer.recurrent[direction].T)
                    getattr(fused.lstm, f"bias_ih_{name}").copy_(layer.bias[direction, 0])
                    getattr(fused.lstm, f"bias_hh_{name}").zero_()
            fused.output.load_state_dict(model.output.state_dict())
        return fused

