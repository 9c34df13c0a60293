"""A small multi-task temporal convolutional network for beats, downbeats and tempo, in
the style of Böck and Davies (ISMIR 2020, "Deconstruct, analyse, reconstruct").

A convolutional stem turns each spectrogram frame and its neighbours into one vector;
a stack of non-causal dilated convolutions (dilations doubling, each layer with two
dilation rates side by side, a residual connection) sees several bars of context.
Unlike that paper's separate beat and downbeat outputs, each frame gets a softmax over
*no beat, beat, downbeat*, madmom's RNNDownBeatProcessor's output form: the activations
are exactly what :mod:`meterlab.dsp.meter_decoding` and madmom's DBNs already read. The
tempo head (a softmax over BPM, from the averaged skip connections) is an auxiliary task
that steers the network towards one metrical level for a whole clip.
"""
import torch
from torch import nn

CHANNELS = 20
#: The stem's convolutions run on every frequency bin: few channels keep it cheap on a CPU.
STEM_CHANNELS = 8
KERNEL = 5
LAYERS = 10
DROPOUT = 0.15
#: Tempo classes: 0 to MAX_BPM - 1 beats per minute, one bin each.
MAX_BPM = 300


class _Stem(nn.Module):
    """Frames x bins -> frames x CHANNELS: 3x3 conv, pool 3 in frequency, twice, then a
    convolution over the remaining bins."""

    def __init__(self, n_bins):
        super().__init__()
        after = ((n_bins - 2) // 3 - 2) // 3
        self.layers = nn.Sequential(
            nn.Conv2d(1, STEM_CHANNELS, (3, 3), padding=(1, 0)), nn.ELU(), nn.MaxPool2d((1, 3)),
            nn.Dropout(DROPOUT),
            nn.Conv2d(STEM_CHANNELS, STEM_CHANNELS, (3, 3), padding=(1, 0)), nn.ELU(), nn.MaxPool2d((1, 3)),
            nn.Dropout(DROPOUT),
            nn.Conv2d(STEM_CHANNELS, CHANNELS, (1, after)), nn.ELU(), nn.Dropout(DROPOUT))

    def forward(self, x):
        return self.layers(x.unsqueeze(1)).squeeze(3)


class _Layer(nn.Module):
    """Two dilated convolutions (rates d and 2d) side by side, ELU, a 1x1 mix; residual."""

    def __init__(self, dilation):
        super().__init__()
        self.narrow = nn.Conv1d(CHANNELS, CHANNELS, KERNEL, dilation=dilation,
                                padding=dilation * (KERNEL - 1) // 2)
        self.wide = nn.Conv1d(CHANNELS, CHANNELS, KERNEL, dilation=2 * dilation,
                              padding=dilation * (KERNEL - 1))
        self.mix = nn.Conv1d(2 * CHANNELS, CHANNELS, 1)
        self.dropout = nn.Dropout1d(DROPOUT)

    def forward(self, x):
        skip = self.mix(self.dropout(nn.functional.elu(torch.cat([self.narrow(x), self.wide(x)], 1))))
        return x + skip, skip


class BeatTCN(nn.Module):
    """``forward(features (batch, frames, bins))`` -> ``(logits (batch, frames, 3),
    tempo logits (batch, MAX_BPM))``; the 3 classes are no beat, beat, downbeat."""

    def __init__(self, n_bins):
        super().__init__()
        self.n_bins = n_bins
        self.stem = _Stem(n_bins)
        self.layers = nn.ModuleList(_Layer(2 ** i) for i in range(LAYERS))
        self.frames = nn.Conv1d(CHANNELS, 3, 1)
        self.tempo = nn.Linear(CHANNELS, MAX_BPM)

    def forward(self, features):
        x = self.stem(features)
        skips = 0
        for layer in self.layers:
            x, skip = layer(x)
            skips = skips + skip
        tempo = self.tempo(nn.functional.elu(skips).mean(dim=2))
        return self.frames(nn.functional.elu(x)).transpose(1, 2), tempo


def activations(model, features):
    """madmom-style ``(frames, 2)`` beat and downbeat probabilities of one clip's
    ``features`` (frames, bins), from the network in eval mode, without gradients."""
    model.eval()
    with torch.no_grad():
        logits, _ = model(torch.as_tensor(features, dtype=torch.float32).unsqueeze(0))
    return torch.softmax(logits[0], dim=1)[:, 1:].numpy()
