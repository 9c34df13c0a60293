"""Make a clean render sound like a recording: room, tone, dynamics, noise, level, codec.

Each clip draws its own chain of pedalboard effects (Spotify's audio-effects library,
JUCE's DSP underneath), so the tracker does not learn the clean synthesiser's sound:
a room reverb, an EQ tilt (a low shelf and a high shelf in opposite directions), a
compressor, a gain change and, for a share of clips, MP3 encoding. Noise at a drawn
signal-to-noise ratio is added before the codec, as a microphone's hiss would be.
The output has the input's length: the beats stay where the annotations say.
"""
import numpy as np
import pedalboard

#: Shares of clips that get each effect.
P_REVERB, P_TILT, P_COMPRESS, P_NOISE, P_MP3 = 0.7, 0.8, 0.6, 0.5, 0.4
#: Noise level, as a signal-to-noise ratio in dB.
SNR_RANGE_DB = (15.0, 45.0)
#: Peak after the chain: gain changes stay within what 16-bit audio holds.
MAX_PEAK = 0.99


def draw_chain(rng):
    """A random ``pedalboard.Pedalboard`` for one clip, and the noise SNR (dB, or None)."""
    effects = []
    if rng.random() < P_REVERB:
        effects.append(pedalboard.Reverb(room_size=rng.uniform(0.1, 0.9), damping=rng.uniform(0.1, 0.9),
                                         wet_level=rng.uniform(0.05, 0.4), dry_level=rng.uniform(0.6, 1.0),
                                         width=1.0))
    if rng.random() < P_TILT:
        tilt = rng.uniform(-9, 9)
        effects.append(pedalboard.LowShelfFilter(cutoff_frequency_hz=rng.uniform(150, 500), gain_db=tilt))
        effects.append(pedalboard.HighShelfFilter(cutoff_frequency_hz=rng.uniform(2000, 6000), gain_db=-tilt))
    if rng.random() < P_COMPRESS:
        effects.append(pedalboard.Compressor(threshold_db=rng.uniform(-30, -8), ratio=rng.uniform(2, 8),
                                             attack_ms=rng.uniform(1, 30), release_ms=rng.uniform(50, 300)))
    effects.append(pedalboard.Gain(gain_db=rng.uniform(-18, 3)))
    snr_db = float(rng.uniform(*SNR_RANGE_DB)) if rng.random() < P_NOISE else None
    codec = pedalboard.MP3Compressor(vbr_quality=rng.uniform(2, 9)) if rng.random() < P_MP3 else None
    return pedalboard.Pedalboard(effects), snr_db, codec


def augment(audio, sample_rate, rng):
    """``audio`` (mono float32) through a chain drawn from ``rng``; same length."""
    board, snr_db, codec = draw_chain(rng)
    out = board(np.asarray(audio, dtype=np.float32), sample_rate)
    if snr_db is not None:
        power = float(np.mean(out ** 2)) or 1e-10
        out = out + rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(out)).astype(np.float32)
    if codec is not None:
        out = codec(out, sample_rate)
    out = _same_length(out.reshape(-1), len(audio))
    peak = float(np.max(np.abs(out))) if len(out) else 0.0
    return (out * (MAX_PEAK / peak) if peak > MAX_PEAK else out).astype(np.float32)


def _same_length(audio, n):
    return audio[:n] if len(audio) >= n else np.pad(audio, (0, n - len(audio)))
