"""Expressive performance of a score: from notes in beats to MIDI in seconds, with exact beats.

A :class:`Score` holds notes on a metrical grid measured in beats (onset 0.5 = half a beat
after beat 0) and says where the bars start. :func:`draw_style` draws how one piece is
played, :func:`perform` plays an excerpt of it:

- **tempo**: a base tempo from :data:`TEMPO_RANGE_BPM`, the same range for every meter;
  slow rubato (a smooth random walk of the log tempo), a ritardando over the last beats of
  every phrase, and holds on fermatas. Beat times are the tempo map's image of the grid,
  so the annotations follow the performance exactly.
- **dynamics**: a base level per part, an arch over each phrase, and a metrical accent
  whose strength is drawn per piece and is *none* for a share of pieces, so loudness is
  not a meter cue every piece carries.
- **articulation**: legato to staccato per piece, with per-note length variation.
- **timing**: Gaussian onset jitter, a melody that leads by a few milliseconds, spread
  (rolled) chords on plucked and keyboard instruments, a sustain pedal for the piano.
- **instruments**: an ensemble kind (solo piano, strings, voices, organ, folk band, ...)
  with random General-MIDI programs per part, low to high; a light percussion part in a
  minority of pieces only; one SoundFont per piece from those available.

Everything random comes from the ``numpy.random.Generator`` passed in. Both datasets play
through this module: the real-score dataset (:mod:`meterlab.data.build.scores`) and the expressive
share of the synthetic generator (:mod:`meterlab.data.build.corpus.composer`), which writes its parts
as a :class:`Score` (onsets in beats, bar 0 at beat 0) and performs them with a drawn style.
"""
from dataclasses import dataclass, field, replace

import numpy as np
import pretty_midi

from .render import SOUNDFONT_PATH, clip_overlaps, gain_to_cc

#: Base tempo of the beat (the time signature's denominator), drawn alike for every meter.
TEMPO_RANGE_BPM = (60.0, 150.0)
#: Share of pieces played with no metrical accent at all.
P_NO_ACCENT = 0.3
#: Share of pieces that get a percussion part.
P_DRUMS = 0.15
#: Onset jitter never moves a note further than this.
MAX_JITTER_S = 0.05
#: Shortest note sounded, in seconds.
MIN_NOTE_S = 0.04

#: Ensemble kinds and the GM programs their parts may take, as tables from low to high:
#: the top part draws from the last table, the one below from the one before, and so on
#: (the lowest parts share the first).
ENSEMBLES = {
    "solo piano": ((0, 1, 2),),
    "harpsichord": ((6,),),
    "organ": ((19, 20, 16, 17),),
    "strings": ((42, 43, 32), (41, 42), (40, 41, 110), (40, 110)),
    "voices": ((52, 53, 54),),
    "winds": ((70, 58, 57), (71, 69, 60), (68, 71, 72), (73, 68, 74)),
    "brass": ((58, 57), (57, 60), (61, 56, 60), (56, 61)),
    "guitar": ((24, 25, 27),),
    "folk band": ((32, 33, 21), (24, 25, 21, 105), (110, 21, 22, 73, 74, 75, 105, 109)),
    "mixed": ((32, 42, 70, 0), (24, 0, 46, 41), (11, 13, 46, 52), (40, 73, 65, 68, 0, 22)),
}
#: Kinds that are one instrument: every part plays the one program drawn.
ONE_INSTRUMENT_KINDS = ("solo piano", "harpsichord", "organ", "voices", "guitar")
#: Kinds whose chords may be rolled (spread) and that sustain with a pedal.
SPREAD_KINDS = ("solo piano", "harpsichord", "guitar", "folk band")
PEDAL_KINDS = ("solo piano",)
#: GM percussion notes of the light drum part, and the kits it may use.
BASS_DRUM, TAMBOURINE, CLOSED_HAT, SHAKER = 35, 54, 42, 70
DRUM_KITS = (0, 8, 16, 24, 32, 40)
SUSTAIN_PEDAL = 64


@dataclass(frozen=True)
class Score:
    """Notes on a metrical grid in beats, and the bar that grid has.

    ``onsets``/``durations`` are in beats; ``parts`` numbers the voices (any order);
    ``fermatas`` flags notes held longer; ``drum_parts`` lists parts whose pitches are GM
    percussion notes (the synthetic generator's drums; they play on the style's kit).
    Beat ``downbeat + k * meter`` starts a bar for every integer ``k``; ``end`` is where the
    music ends (beats).
    """

    onsets: np.ndarray
    durations: np.ndarray
    pitches: np.ndarray
    parts: np.ndarray
    meter: int
    downbeat: float = 0.0
    end: float = None
    fermatas: np.ndarray = None
    drum_parts: tuple = ()

    def __post_init__(self):
        for name in ("onsets", "durations", "pitches", "parts"):
            object.__setattr__(self, name, np.asarray(getattr(self, name)))
        if self.end is None:
            object.__setattr__(self, "end", float(np.max(self.onsets + self.durations, initial=0.0)))
        if self.fermatas is None:
            object.__setattr__(self, "fermatas", np.zeros(len(self.onsets), bool))

    @property
    def n_parts(self):
        return int(self.parts.max()) + 1 if len(self.parts) else 0

    def position(self, beat):
        """1-based position in the bar of grid beat ``beat`` (1 = downbeat)."""
        return (np.floor(np.asarray(beat) - self.downbeat + 0.5).astype(int) % self.meter) + 1

    def repeated(self, times):
        """The score played ``times`` times in a row, each copy a whole number of bars
        after the last (as strophes of a song), so the bar grid runs on unbroken."""
        bar = self.meter
        period = max(np.ceil((self.end - np.min(self.onsets, initial=0.0)) / bar), 1) * bar
        shift = np.repeat(np.arange(times) * period, len(self.onsets))
        tile = lambda a: np.tile(a, times)  # noqa: E731
        return replace(self, onsets=tile(self.onsets) + shift, durations=tile(self.durations),
                       pitches=tile(self.pitches), parts=tile(self.parts), fermatas=tile(self.fermatas),
                       end=float(self.end + (times - 1) * period))


@dataclass(frozen=True)
class Style:
    """How one piece is played; :func:`draw_style` draws one, tests may set fields."""

    tempo_bpm: float = 100.0
    rubato: float = 0.0
    phrase_bars: int = 4
    ritardando: float = 0.0
    fermata_hold: float = 1.0
    accent: float = 0.0
    phrase_dynamics: float = 0.0
    velocity: float = 80.0
    velocity_noise: float = 0.0
    legato: float = 0.9
    length_noise: float = 0.0
    p_staccato: float = 0.0
    jitter_s: float = 0.0
    melody_lead_s: float = 0.0
    p_spread: float = 0.0
    spread_s: float = 0.0
    spread_seed: int = 0
    pedal_beats: int = 0
    ensemble: str = "solo piano"
    programs: tuple = (0,)
    part_gain_db: tuple = (0.0,)
    drums: bool = False
    drum_kit: int = 0
    soundfont: str = SOUNDFONT_PATH

    def info(self):
        """The choices as JSON-able values (for the dataset's metadata)."""
        return {name: (round(value, 4) if isinstance(value, float) else
                       list(value) if isinstance(value, tuple) else value)
                for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class Performance:
    """A performed excerpt: its MIDI, beat times and positions (1 = downbeat), its style."""

    midi: pretty_midi.PrettyMIDI
    beats: np.ndarray
    positions: np.ndarray
    style: Style
    info: dict = field(default_factory=dict)


def draw_style(n_parts, rng, soundfonts=(SOUNDFONT_PATH,)):
    """Draw every performance choice of one piece with ``n_parts`` voices."""
    kind = str(rng.choice(sorted(ENSEMBLES)))
    programs = _draw_programs(kind, n_parts, rng)
    accent = 0.0 if rng.random() < P_NO_ACCENT else float(rng.uniform(3, 18))
    drums = bool(rng.random() < P_DRUMS)
    return Style(
        tempo_bpm=float(rng.uniform(*TEMPO_RANGE_BPM)),
        rubato=float(rng.uniform(0.0, 0.08)),
        phrase_bars=int(rng.choice((2, 4, 4, 8))),
        ritardando=float(rng.uniform(0.0, 0.4)),
        fermata_hold=float(rng.uniform(1.3, 2.5)),
        accent=accent,
        phrase_dynamics=float(rng.uniform(0, 20)),
        velocity=float(rng.uniform(60, 95)),
        velocity_noise=float(rng.uniform(2, 8)),
        legato=float(rng.uniform(0.55, 1.0)),
        length_noise=float(rng.uniform(0.0, 0.15)),
        p_staccato=float(rng.choice((0.0, 0.0, rng.uniform(0.05, 0.4)))),
        jitter_s=float(rng.uniform(0.003, 0.02)),
        melody_lead_s=float(rng.uniform(0.0, 0.02)) if n_parts > 1 else 0.0,
        p_spread=float(rng.uniform(0.2, 0.9)) if kind in SPREAD_KINDS else 0.0,
        spread_s=float(rng.uniform(0.01, 0.035)),
        spread_seed=int(rng.integers(2**31)),
        pedal_beats=int(rng.choice((0, 1, 2, 4))) if kind in PEDAL_KINDS else 0,
        ensemble=kind,
        programs=programs,
        part_gain_db=tuple(float(g) for g in rng.uniform(-6, 0, n_parts)),
        drums=drums,
        drum_kit=int(rng.choice(DRUM_KITS)),
        soundfont=str(soundfonts[rng.integers(len(soundfonts))]),
    )


def _draw_programs(kind, n_parts, rng):
    """One GM program per part, low to high: the kind's tables from the top part down."""
    tables = ENSEMBLES[kind]
    if kind in ONE_INSTRUMENT_KINDS:
        return (int(rng.choice(tables[0])),) * n_parts
    top = len(tables) - 1
    return tuple(int(rng.choice(tables[max(0, top - (n_parts - 1 - p))])) for p in range(n_parts))


class TempoMap:
    """Performance time (s) of any grid position (beats), piecewise linear between beats."""

    def __init__(self, grid_beats, times):
        self.grid_beats = np.asarray(grid_beats, float)
        self.times = np.asarray(times, float)

    def __call__(self, beat):
        beat = np.asarray(beat, float)
        first, last = self.grid_beats[[0, -1]]
        slope_lo = (self.times[1] - self.times[0]) / (self.grid_beats[1] - first)
        slope_hi = (self.times[-1] - self.times[-2]) / (last - self.grid_beats[-2])
        inside = np.interp(beat, self.grid_beats, self.times)
        return np.where(beat < first, self.times[0] + (beat - first) * slope_lo,
                        np.where(beat > last, self.times[-1] + (beat - last) * slope_hi, inside))


def tempo_map(score, style, start, n_beats, lead_s, rng):
    """Draw the tempo curve over ``n_beats`` beats from grid beat ``start``.

    Each beat lasts ``60 / tempo`` seconds times a rubato factor (a smooth random walk of
    the log tempo), a ritardando factor rising over the last two beats of each phrase
    (phrases of ``phrase_bars`` bars from the downbeats), and ``fermata_hold`` where a
    fermata note starts.
    """
    beats = start + np.arange(n_beats + 1, dtype=float)
    walk = np.cumsum(rng.normal(0, 1, n_beats))
    smooth = np.convolve(walk, np.hanning(9) / np.hanning(9).sum(), mode="same")
    smooth = (smooth - smooth.mean()) / (smooth.std() + 1e-9) if n_beats > 1 else smooth * 0
    factor = np.exp(style.rubato * smooth)
    phrase = style.phrase_bars * score.meter
    to_end = phrase - 1 - ((beats[:-1] - score.downbeat) % phrase)
    factor *= 1 + style.ritardando * np.clip(1 - to_end / 2, 0, 1)
    held = np.floor(score.onsets[score.fermatas] - start).astype(int)
    factor[np.isin(np.arange(n_beats), held)] *= style.fermata_hold
    durations = 60.0 / style.tempo_bpm * factor
    return TempoMap(beats, lead_s + np.concatenate(([0.0], np.cumsum(durations))))


def perform(score, style, rng, start=None, duration_s=25.0, lead_s=0.0):
    """Play ``duration_s`` seconds of ``score`` from grid beat ``start`` (default: the
    first beat of the music).

    Returns
    -------
    Performance
        MIDI from time 0 (the excerpt's start, ``lead_s`` before grid beat ``start``),
        notes cut at ``duration_s``; the grid beats sounding in ``[lead_s, duration_s)``
        with their positions in the bar.
    """
    if start is None:
        start = float(np.floor(np.min(score.onsets, initial=0.0) - score.downbeat) + score.downbeat)
    n_beats = int(np.ceil(duration_s * style.tempo_bpm / 60.0)) + 8
    tmap = tempo_map(score, style, start, n_beats, lead_s, rng)
    while tmap.times[-1] < duration_s:
        n_beats *= 2
        tmap = tempo_map(score, style, start, n_beats, lead_s, rng)
    grid = tmap.grid_beats
    keep = (tmap.times >= lead_s - 1e-9) & (tmap.times < duration_s) & (grid <= score.end + 1e-9)
    beats, positions = tmap.times[keep], score.position(grid[keep])
    midi = pretty_midi.PrettyMIDI(initial_tempo=style.tempo_bpm)
    chosen = (score.onsets >= start - 1e-9) & (tmap(score.onsets) < duration_s)
    for part in range(score.n_parts):
        notes = chosen & (score.parts == part)
        midi.instruments.append(_part(score, style, tmap, part, notes, duration_s, rng))
    if style.drums:
        midi.instruments.append(_drum_part(score, style, grid[keep], beats, duration_s, rng))
    return Performance(midi, beats, positions, style, {"start_beat": float(start), "n_beats": int(keep.sum())})


def metrical_weight(score, onsets):
    """1 on downbeats, 0.5 on other beats, 0 between beats."""
    on_beat = np.isclose(onsets, np.round(onsets - score.downbeat) + score.downbeat)
    return np.where(on_beat, np.where(score.position(onsets) == 1, 1.0, 0.5), 0.0)


def velocities(score, style, onsets, rng):
    """Velocity of notes at grid ``onsets``: base, phrase arch, metrical accent, noise."""
    phrase = style.phrase_bars * score.meter
    phase = ((onsets - score.downbeat) % phrase) / phrase
    level = (style.velocity + style.phrase_dynamics * (np.sin(np.pi * phase) - 0.5)
             + style.accent * metrical_weight(score, onsets)
             + rng.normal(0, 1, len(onsets)) * style.velocity_noise)
    return np.clip(np.round(level), 1, 127).astype(int)


def _part(score, style, tmap, part, notes, duration_s, rng):
    """One voice as a ``pretty_midi.Instrument``: timing, length, loudness and rolls."""
    is_drum = part in score.drum_parts
    program = style.drum_kit if is_drum else style.programs[part % len(style.programs)]
    inst = pretty_midi.Instrument(program=program, is_drum=is_drum, name=f"part {part}")
    onsets, lengths, pitches = score.onsets[notes], score.durations[notes], score.pitches[notes]
    starts = tmap(onsets)
    ends = tmap(onsets + lengths)
    legato = style.legato * np.exp(rng.normal(0, 1, len(onsets)) * style.length_noise)
    legato = np.where(rng.random(len(onsets)) < style.p_staccato, legato * 0.4, legato)
    ends = starts + np.maximum((ends - starts) * np.minimum(legato, 1.0), MIN_NOTE_S)
    jitter = np.clip(rng.normal(0, 1, len(onsets)) * style.jitter_s, -MAX_JITTER_S, MAX_JITTER_S)
    lead = style.melody_lead_s if part == score.n_parts - 1 else 0.0
    starts = starts + jitter - lead + (0.0 if is_drum else _spread(score, style, part, onsets, rng))
    ends = ends + jitter - lead
    vel = velocities(score, style, onsets, rng)
    for s, e, p, v in zip(starts, ends, pitches, vel):
        s, e = max(0.0, s), min(e, duration_s)
        if e > s:
            inst.notes.append(pretty_midi.Note(velocity=int(v), pitch=int(p), start=float(s), end=float(e)))
    clip_overlaps(inst.notes)
    gain = style.part_gain_db[part % len(style.part_gain_db)]
    inst.control_changes.append(pretty_midi.ControlChange(7, gain_to_cc(gain), 0.0))
    if style.pedal_beats and not is_drum:
        inst.control_changes.extend(_pedal(score, style, tmap, duration_s))
    return inst


def _spread(score, style, part, onsets, rng):
    """Delays that roll chords upwards: higher parts of a chord struck a little later.

    Which chords roll is drawn per part from the same seed, so a chord rolls in all its parts.
    """
    if not style.p_spread:
        return np.zeros(len(onsets))
    chord_onsets, counts = np.unique(score.onsets, return_counts=True)
    chords = chord_onsets[counts >= 3]
    rolled = chords[np.random.default_rng(style.spread_seed).random(len(chords)) < style.p_spread]
    return np.where(np.isin(onsets, rolled), part * style.spread_s, 0.0)


def _pedal(score, style, tmap, duration_s):
    """Sustain pedal changed every ``pedal_beats`` beats: lifted on the beat, pressed just after."""
    first = np.ceil(tmap.grid_beats[0] - score.downbeat) + score.downbeat
    changes = tmap(np.arange(first, tmap.grid_beats[-1], style.pedal_beats))
    events = []
    for t in changes[changes < duration_s]:
        events.append(pretty_midi.ControlChange(SUSTAIN_PEDAL, 0, float(max(0.0, t - 0.01))))
        events.append(pretty_midi.ControlChange(SUSTAIN_PEDAL, 127, float(t + 0.06)))
    return events


def _drum_part(score, style, grid_beats, times, duration_s, rng):
    """A light percussion part: bass drum on downbeats, tambourine or hat on the other beats."""
    inst = pretty_midi.Instrument(program=style.drum_kit, is_drum=True, name="percussion")
    other = int(rng.choice((TAMBOURINE, CLOSED_HAT, SHAKER)))
    weights = metrical_weight(score, grid_beats)
    for t, w in zip(times, weights):
        note = BASS_DRUM if w == 1.0 else other
        vel = int(np.clip(70 + 30 * w + rng.normal(0, 5), 1, 127))
        inst.notes.append(pretty_midi.Note(velocity=vel, pitch=note, start=float(t),
                                           end=float(min(t + 0.1, duration_s))))
    inst.control_changes.append(pretty_midi.ControlChange(7, gain_to_cc(float(rng.uniform(-14, -4))), 0.0))
    return inst
