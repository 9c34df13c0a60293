"""Render a ``pretty_midi.PrettyMIDI`` to mono audio with TinySoundFont.

The General-MIDI SoundFont that ships inside pretty_midi is used by default, so rendering
needs no download and sounds the same everywhere; any other GM ``.sf2`` can be given. The synth runs directly at the corpus rate and
is advanced from one MIDI event to the next, which renders a 20 s clip in a few tens of
milliseconds. A fresh synth per clip keeps the output independent of what was rendered
before (and so of how clips are spread over worker processes).
"""
import os

import numpy as np
import pretty_midi
import tinysoundfont

from ...config import SAMPLE_RATE

SOUNDFONT_PATH = os.path.join(os.path.dirname(pretty_midi.__file__), "TimGM6mb.sf2")
#: GM reserves channel 10 (index 9) for percussion.
DRUM_CHANNEL = 9
DRUM_BANK = 128
#: Peak level after normalisation: loud, with headroom for 16-bit FLAC.
PEAK = 0.9
#: A short fade at the end avoids a click where notes are cut.
FADE_OUT_S = 0.01

# Event kinds, in the order they apply when they share a sample: controllers first,
# then note-offs (so a repeated pitch is released before it is struck again).
_CONTROL, _NOTE_OFF, _NOTE_ON = 0, 1, 2


def render(midi, duration_s, sample_rate=SAMPLE_RATE, peak=PEAK, soundfont=SOUNDFONT_PATH):
    """Synthesise ``midi`` to a mono float32 signal of exactly ``duration_s`` seconds.

    Parameters
    ----------
    midi : pretty_midi.PrettyMIDI
        Drum instruments play on channel 10 with their ``program`` as the kit preset.
    duration_s : float
        Output length; later events are ignored.
    sample_rate : int
    peak : float
        Absolute peak after normalisation (silence stays silence).
    soundfont : str or Path
        A General-MIDI ``.sf2`` file.

    Returns
    -------
    numpy.ndarray
        Shape ``(round(duration_s * sample_rate),)``, float32.
    """
    n_samples = int(round(duration_s * sample_rate))
    synth = tinysoundfont.Synth(samplerate=sample_rate)
    sfid = synth.sfload(str(soundfont))
    channels = _assign_channels(midi)
    for inst, chan in zip(midi.instruments, channels):
        bank = DRUM_BANK if inst.is_drum else 0
        synth.program_select(chan, sfid, bank, inst.program, is_drums=inst.is_drum)
    stereo = np.zeros((n_samples, 2), dtype=np.float32)
    pos = 0
    for sample, kind, chan, a, b in _events(midi, channels, sample_rate):
        if sample >= n_samples:
            break
        if sample > pos:
            stereo[pos:sample] = _generate(synth, sample - pos)
            pos = sample
        _apply(synth, kind, chan, a, b)
    if pos < n_samples:
        stereo[pos:] = _generate(synth, n_samples - pos)
    return _finish(stereo.mean(axis=1), sample_rate, peak)


def _assign_channels(midi):
    """One MIDI channel per instrument: drums on channel 10, the rest on the others."""
    melodic = iter(c for c in range(16) if c != DRUM_CHANNEL)
    try:
        return [DRUM_CHANNEL if inst.is_drum else next(melodic) for inst in midi.instruments]
    except StopIteration:
        raise ValueError("more than 15 melodic instruments do not fit in 16 MIDI channels") from None


def _events(midi, channels, sample_rate):
    """All controller and note events as ``(sample, kind, channel, a, b)``, in time order."""
    events = []
    for inst, chan in zip(midi.instruments, channels):
        for cc in inst.control_changes:
            events.append((int(round(cc.time * sample_rate)), _CONTROL, chan, cc.number, cc.value))
        for note in inst.notes:
            events.append((int(round(note.start * sample_rate)), _NOTE_ON, chan, note.pitch, note.velocity))
            events.append((int(round(note.end * sample_rate)), _NOTE_OFF, chan, note.pitch, 0))
    events.sort()
    return events


def _apply(synth, kind, chan, a, b):
    """Send one event to the synth."""
    if kind == _CONTROL:
        synth.control_change(chan, a, b)
    elif kind == _NOTE_ON:
        synth.noteon(chan, a, b)
    else:
        synth.noteoff(chan, a)


def _generate(synth, n):
    """The next ``n`` stereo frames as an ``(n, 2)`` float32 array."""
    return np.frombuffer(synth.generate(n), dtype=np.float32).reshape(n, 2)


def _finish(mono, sample_rate, peak):
    """Fade out the last few milliseconds and scale the peak to ``peak``."""
    n_fade = min(len(mono), int(FADE_OUT_S * sample_rate))
    if n_fade:
        mono[-n_fade:] *= np.linspace(1.0, 0.0, n_fade, dtype=np.float32)
    top = float(np.max(np.abs(mono))) if len(mono) else 0.0
    if top > 0:
        mono *= np.float32(peak / top)
    return mono.astype(np.float32, copy=False)


def clip_overlaps(notes):
    """End each note before the next onset of the same pitch, so a note-off of one never
    silences the next (a synth keys note-offs by pitch)."""
    notes.sort(key=lambda n: (n.pitch, n.start))
    for a, b in zip(notes, notes[1:]):
        if a.pitch == b.pitch and a.end > b.start - 0.002:
            a.end = max(a.start + 0.005, b.start - 0.002)
    notes.sort(key=lambda n: (n.start, n.pitch))


def gain_to_cc(gain_db):
    """CC 7 value for a gain in dB: TinySoundFont's channel volume is 60*log10(cc/127) dB."""
    return int(np.clip(round(127 * 10 ** (gain_db / 60)), 1, 127))
