"""Compose multi-instrument General-MIDI music in a given meter, with exact beat annotations.

One generator serves every class. :func:`draw_choices` draws every piece-level parameter
(tempo, subdivision, swing, key, instruments, playing styles, drums, mix levels, offset,
...) from one distribution whatever the meter, so the only systematic difference between
classes is the bar: how many beats it has, how they group (5 as 3+2 or 2+3, 7 as 2+2+3,
3+2+2 or 2+3+2, ...) and on which of its beats an excerpt starts. Accents, bass and chord
changes, drum patterns and melodic phrases all follow that bar structure, which is what
a meter estimator has to pick up; tests/test_corpus_cues.py checks that no other drawn
parameter tells the classes apart.

Most clips are played on a strict tempo grid: beat times come from the grid *before*
humanisation, and note onsets are jittered by at most :data:`MAX_JITTER_S` around it. A
share :data:`P_EXPRESSIVE` of clips, drawn alike for every meter, is written the same way
but *performed* (:mod:`meterlab.data.build.performance`): the parts become a score in beats, played
with a drawn style (rubato and ritardandi, accents possibly none, articulation, an
ensemble), and the beat annotations are the performance's own beats, so they follow the
rubato. Such clips take the style's drums rule (a light percussion part in a minority of
them) instead of the composed drum kit, so drums stay in most clips of the corpus while
expressive ones are mostly without.

Everything is drawn from the ``numpy.random.Generator`` passed in, so a clip is a pure
function of its RNG seed.
"""
import json
from dataclasses import asdict, dataclass, replace
from math import ceil

import numpy as np
import pretty_midi

# performance.py imports the renderer from this package: import the module, use its names
# at call time, so either module can be imported first.
from .. import performance
from ....config import DEFAULT_CLASSES
from ..render import SOUNDFONT_PATH, clip_overlaps, gain_to_cc

#: A bar of any default class lasts this many seconds at every tempo drawn, so that a
#: bar of 7 is not 7 s long and a bar of 3 is not a blur.
BAR_RANGE_S = (0.9, 4.5)
#: Tempo is drawn uniformly from this one range whatever the meter: the tempi at which
#: bars of every default class lie in :data:`BAR_RANGE_S` (93.3-200 BPM). A range per
#: meter would let the tempo tell the meter; the bar's length follows from the tempo
#: instead (bars of meters outside the default classes may fall outside the range).
TEMPO_RANGE_BPM = (60.0 * max(DEFAULT_CLASSES) / BAR_RANGE_S[1],
                   60.0 * min(DEFAULT_CLASSES) / BAR_RANGE_S[0])
#: The first annotated beat falls uniformly in [0, MAX_OFFSET_S).
MAX_OFFSET_S = 0.5
#: Humanisation never moves a note of a strict-grid clip further than this from its grid time.
MAX_JITTER_S = 0.015
#: Share of clips performed expressively (see the module docstring), the same for every meter.
P_EXPRESSIVE = 0.35
#: An expressive clip's score runs this many times the clip's length at its base tempo, so
#: the music outlasts a rubato that hurries.
EXPRESSIVE_SPAN = 1.5
#: Share of clips that start mid-bar, like an excerpt, so position 1 is not always first.
P_EXCERPT_START = 0.5
#: Shares of clips whose drums are mixed far down, or left out.
P_WEAK_DRUMS = 0.075
P_NO_DRUMS = 0.075

#: How each meter's beats group; a clip draws one grouping uniformly.
GROUPINGS = {
    2: ((2,),),
    3: ((3,),),
    4: ((2, 2),),
    5: ((3, 2), (2, 3)),
    6: ((3, 3),),
    7: ((2, 2, 3), (3, 2, 2), (2, 3, 2)),
    9: ((3, 3, 3), (2, 2, 2, 3)),
    11: ((3, 3, 3, 2), (2, 2, 3, 2, 2)),
    12: ((3, 3, 3, 3),),
}

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
#: Four-chord progressions as scale degrees (0 = tonic); one chord per bar.
PROGRESSIONS = {
    "major": ((0, 4, 5, 3), (0, 3, 4, 3), (0, 5, 3, 4), (1, 4, 0, 0), (0, 3, 0, 4), (5, 3, 0, 4)),
    "minor": ((0, 5, 2, 6), (0, 3, 4, 0), (0, 6, 5, 6), (0, 5, 3, 4), (0, 3, 6, 2)),
}

#: GM programs per role, with the MIDI pitch range the part is written in.
BASS_PROGRAMS = (32, 33, 34, 35, 36, 37, 38, 39, 43)
BASS_RANGE = (28, 52)
CHORD_PROGRAMS = (0, 1, 2, 4, 5, 11, 16, 17, 19, 24, 25, 26, 27, 46, 48, 49, 50, 52, 88, 89, 90, 91, 94)
CHORD_RANGE = (50, 76)
MELODY_PROGRAMS = (0, 4, 11, 12, 13, 22, 24, 40, 56, 60, 64, 65, 66, 68, 71, 73, 79, 80, 81, 82)
MELODY_RANGE = (60, 86)
#: Drum kits (bank-128 presets) present in the GM SoundFont the renderer uses.
DRUM_KITS = (0, 8, 16, 24, 25, 32, 40)

KICK, SIDE_STICK, SNARE, CLAP = 36, 37, 38, 39
CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 42, 44, 46
LOW_TOM, MID_TOM, HIGH_TOM = 45, 47, 50
CRASH, RIDE = 49, 51
DRUM_NOTE_S = 0.1


@dataclass(frozen=True)
class Grid:
    """The exact metrical grid of a clip: where every bar, beat and subdivision falls.

    ``t0`` is the time of bar 0's downbeat; it is negative when the clip starts mid-bar.
    Subdivisions are swung in pairs: the second of each pair is delayed to ``swing``
    of the pair's span (0.5 = straight).
    """

    meter: int
    grouping: tuple
    beat_s: float
    n_sub: int
    swing: float
    t0: float
    n_bars: int

    @property
    def group_starts(self):
        """Beat indices (0-based) at which each group of the bar starts."""
        return tuple(int(s) for s in np.cumsum((0,) + self.grouping[:-1]))

    def group_of(self, beat):
        """Index of the group that holds ``beat``."""
        return int(np.searchsorted(self.group_starts, beat, side="right")) - 1

    def time(self, bar, beat, sub=0):
        """Grid time in seconds of subdivision ``sub`` of ``beat`` in ``bar``."""
        frac = sub / self.n_sub
        if self.n_sub % 2 == 0 and sub % 2 == 1:
            frac = (sub - 1) / self.n_sub + 2 * self.swing / self.n_sub
        return self.t0 + (bar * self.meter + beat + frac) * self.beat_s


@dataclass(frozen=True)
class Choices:
    """Every piece-level choice of a clip, as drawn by :func:`draw_choices`.

    Only ``grouping`` and ``start_position`` depend on the meter, because they are the
    bar itself: how its beats group and on which of them the clip starts (1 = the
    downbeat). Every other field is a nuisance parameter drawn from one distribution for
    every meter. Choices made while writing notes (phrase densities, melodic steps,
    velocities, fills) are drawn per phrase or note, from distributions that do not
    depend on the meter either.

    An expressive clip (``style`` set) is played as its style says: the style's ensemble,
    mix, velocities and timing replace ``programs``, ``gains_db``, ``jitter_s`` and the
    written velocities, and its ``drum_mode`` is ``"light"`` (the style's percussion part)
    or ``"none"``, never the composed kit.
    """

    meter: int
    grouping: tuple
    start_position: int
    tempo_bpm: float
    #: Subdivisions per beat (2, 3 or 4); more only at slow enough tempi, whatever the meter.
    subdivisions: int
    swing: float
    offset_s: float
    jitter_s: float
    phrase_bars: int
    key: int
    mode: str
    progression: tuple
    sevenths: bool
    #: Chance per bar of a second chord at the bar's last group (none in a one-group bar).
    p_split: float
    melody_reuse: bool
    bass_style: str
    chord_style: str
    #: GM program per part: ``bass``, ``chords``, ``melody``.
    programs: dict
    #: Mix level per part in dB; ``drums`` is None when drums are left out.
    gains_db: dict
    drum_mode: str
    drum_style: dict
    drum_kit: int
    #: How an expressive clip is performed (a :class:`meterlab.data.build.performance.Style`, at the
    #: clip's tempo and phrase length); None for a clip played on the strict grid.
    style: "performance.Style"
    #: The General-MIDI SoundFont the clip is rendered with (an expressive clip's style's).
    soundfont: str = SOUNDFONT_PATH

    @property
    def beat_s(self):
        return 60.0 / self.tempo_bpm

    @property
    def expressive(self):
        return self.style is not None

    def info(self):
        """The choices as plain JSON values (tuples become lists), for ``corpus.json``."""
        return json.loads(json.dumps(asdict(self)))


@dataclass(frozen=True)
class Piece:
    """A composed clip: its MIDI, exact beat annotations and the choices drawn.

    ``positions`` holds each beat's 1-based position in the bar (1 = downbeat).
    ``info`` holds the JSON-able choices (:meth:`Choices.info`), for corpus metadata;
    ``soundfont`` is the SoundFont to render ``midi`` with.
    """

    midi: pretty_midi.PrettyMIDI
    beats: np.ndarray
    positions: np.ndarray
    meter: int
    duration_s: float
    info: dict
    soundfont: str = SOUNDFONT_PATH

    @property
    def downbeats(self):
        """Times of the beats at position 1."""
        return self.beats[self.positions == 1]


def default_groupings(meter):
    """Groupings for ``meter``: the table's, else 3s, 2s, or 2s closed by a 3."""
    if meter in GROUPINGS:
        return GROUPINGS[meter]
    if meter % 3 == 0:
        return ((3,) * (meter // 3),)
    if meter % 2 == 0:
        return ((2,) * (meter // 2),)
    return ((2,) * ((meter - 3) // 2) + (3,),)


def compose(meter, duration_s, rng, soundfonts=(SOUNDFONT_PATH,)):
    """Compose one clip of ``duration_s`` seconds in ``meter`` beats per bar.

    Parameters
    ----------
    meter : int
        Beats per bar, at least 2.
    duration_s : float
        Clip length; notes are cut there and beats annotated up to it.
    rng : numpy.random.Generator
        The only source of randomness, so equal seeds give equal clips.
    soundfonts : sequence of str
        General-MIDI SoundFonts a clip draws the one it is rendered with from.

    Returns
    -------
    Piece
    """
    choices = draw_choices(meter, rng, soundfonts)
    grid = _beat_grid(choices, duration_s) if choices.expressive else _grid(choices, duration_s)
    harm = _Harmony(grid, _chords_per_bar(grid, choices, rng), choices)
    parts = _compose_parts(grid, harm, choices, rng)
    if choices.expressive:
        played = performance.perform(_score(grid, parts), choices.style, rng, start=choices.start_position - 1,
                                     duration_s=duration_s, lead_s=choices.offset_s)
        midi, beats, positions = played.midi, played.beats, played.positions
    else:
        midi = pretty_midi.PrettyMIDI(initial_tempo=choices.tempo_bpm)
        for events, program, is_drum, gain_db, tightness in parts:
            midi.instruments.append(_to_instrument(events, program, is_drum, gain_db,
                                                   choices.jitter_s * tightness, choices.offset_s,
                                                   duration_s, rng))
        beats, positions = _beat_annotations(grid, choices.offset_s, choices.start_position, duration_s)
    return Piece(midi, beats, positions, meter, float(duration_s), choices.info(),
                 choices.soundfont)


def draw_choices(meter, rng, soundfonts=(SOUNDFONT_PATH,)):
    """Draw every piece-level choice of a clip in ``meter`` (see :class:`Choices`), its
    SoundFont among ``soundfonts``."""
    if meter < 2:
        raise ValueError(f"meter must be at least 2, got {meter}")
    groupings = default_groupings(meter)
    grouping = tuple(groupings[rng.integers(len(groupings))])
    tempo_bpm = float(rng.uniform(*TEMPO_RANGE_BPM))
    beat_s = 60.0 / tempo_bpm
    n_sub = 4 if (beat_s > 0.55 and rng.random() < 0.5) else 2
    if beat_s > 0.43 and rng.random() < 0.15:
        n_sub = 3
    mode = "major" if rng.random() < 0.6 else "minor"
    progressions = PROGRESSIONS[mode]
    phrase_bars = int(rng.choice((2, 4)))
    style = (_draw_style(tempo_bpm, phrase_bars, rng, soundfonts) if rng.random() < P_EXPRESSIVE
             else None)
    if style is None:
        drum_mode = str(rng.choice(("full", "weak", "none"),
                                   p=(1 - P_WEAK_DRUMS - P_NO_DRUMS, P_WEAK_DRUMS, P_NO_DRUMS)))
    else:
        drum_mode = "light" if style.drums else "none"
    drum_gain = {"full": (-4, 0), "weak": (-24, -16)}.get(drum_mode)
    return Choices(
        meter=meter, grouping=grouping,
        start_position=int(rng.integers(2, meter + 1)) if rng.random() < P_EXCERPT_START else 1,
        tempo_bpm=tempo_bpm, subdivisions=n_sub,
        swing=0.5 if rng.random() < 0.6 else float(rng.uniform(0.54, 0.66)),
        offset_s=float(rng.uniform(0.0, MAX_OFFSET_S)),
        jitter_s=float(rng.uniform(0.002, 0.007)),
        phrase_bars=phrase_bars,
        key=int(rng.integers(12)), mode=mode,
        progression=tuple(progressions[rng.integers(len(progressions))]),
        sevenths=bool(rng.random() < 0.3),
        p_split=float(rng.choice((0.0, 0.0, 0.3, 0.6))),
        melody_reuse=bool(rng.random() < 0.5),
        bass_style=str(rng.choice(("groups", "beats", "pedal", "pulse"))),
        chord_style=str(rng.choice(("pad", "stabs", "oompah", "arpeggio"))),
        programs={name: int(rng.choice(table)) for name, table in
                  (("bass", BASS_PROGRAMS), ("chords", CHORD_PROGRAMS), ("melody", MELODY_PROGRAMS))},
        gains_db={"bass": float(rng.uniform(-6, 0)), "chords": float(rng.uniform(-10, -2)),
                  "melody": float(rng.uniform(-6, 0)),
                  "drums": float(rng.uniform(*drum_gain)) if drum_gain else None},
        drum_mode=drum_mode, drum_style=_draw_drum_style(rng), drum_kit=int(rng.choice(DRUM_KITS)),
        style=style, soundfont=style.soundfont if style else _draw_soundfont(soundfonts, rng),
    )


def _draw_style(tempo_bpm, phrase_bars, rng, soundfonts):
    """A performance style for the three parts (bass, chords, melody), at the clip's own
    tempo, so its bars stay within :data:`BAR_RANGE_S`, and phrase length, so its
    ritardandi close the phrases the music is written in."""
    return replace(performance.draw_style(3, rng, soundfonts), tempo_bpm=tempo_bpm,
                   phrase_bars=phrase_bars)


def _draw_soundfont(soundfonts, rng):
    """One of ``soundfonts``; with a single one nothing is drawn, so a corpus built with
    the bundled font alone does not depend on this choice."""
    return str(soundfonts[rng.integers(len(soundfonts))] if len(soundfonts) > 1 else soundfonts[0])


def _grid(choices, duration_s):
    """The clip's grid: bar 0 starts early enough that the music starts mid-bar when asked."""
    beat_s = choices.beat_s
    t0 = choices.offset_s - (choices.start_position - 1) * beat_s
    n_bars = ceil((duration_s - t0) / (choices.meter * beat_s)) + 1
    return Grid(choices.meter, choices.grouping, beat_s, choices.subdivisions, choices.swing, t0, n_bars)


def _beat_grid(choices, duration_s):
    """An expressive clip's grid in beats (bar 0 at beat 0), with bars to spare: the
    performance decides when each beat sounds."""
    return replace(_grid(choices, EXPRESSIVE_SPAN * duration_s), beat_s=1.0, t0=0.0)


def _score(beat_grid, parts):
    """The parts written on ``beat_grid``, in order (low to high), as a performance score."""
    notes = [(onset, length, pitch, part) for part, (events, *_) in enumerate(parts)
             for onset, length, pitch, _ in events]
    onsets, durations, pitches, part_ids = (np.array(column) for column in zip(*notes))
    return performance.Score(onsets, durations, pitches, part_ids, beat_grid.meter,
                             end=float(beat_grid.n_bars * beat_grid.meter))


def _beat_annotations(grid, offset, start_pos, duration_s):
    """Beat times from the grid (not the jittered notes) in [offset, duration_s)."""
    k = np.arange(start_pos - 1, grid.n_bars * grid.meter)
    times = grid.t0 + k * grid.beat_s
    keep = (times >= offset - 1e-9) & (times < duration_s)
    return times[keep], (k[keep] % grid.meter + 1).astype(int)


def _chords_per_bar(grid, choices, rng):
    """One chord per bar from the progression; sometimes a second one at the last group.

    Returns, per bar, a list of ``(start_beat, scale_degree)`` segments.
    """
    split_beat = grid.group_starts[-1]
    harmony = []
    for bar in range(grid.n_bars):
        degree = choices.progression[bar % len(choices.progression)]
        segments = [(0, degree)]
        if split_beat > 0 and rng.random() < choices.p_split:
            segments.append((split_beat, int(rng.choice([d for d in (0, 3, 4, 5) if d != degree]))))
        harmony.append(segments)
    return harmony


def _compose_parts(grid, harm, choices, rng):
    """Write every part's notes with the drawn instruments, styles and mix levels.

    Returns a list of ``(events, program, is_drum, gain_db, tightness)``. ``tightness``
    scales the clip's timing jitter (drummers sit tighter on the grid).
    """
    programs, gains = choices.programs, choices.gains_db
    parts = [
        (_bass_events(grid, harm, choices.bass_style, rng), programs["bass"], False, gains["bass"], 1.0),
        (_chord_events(grid, harm, choices.chord_style, rng), programs["chords"], False, gains["chords"], 1.0),
        (_melody_events(grid, harm, choices.phrase_bars, choices.melody_reuse, rng), programs["melody"],
         False, gains["melody"], 1.5),
    ]
    if choices.drum_mode in ("full", "weak"):
        parts.append((_drum_events(grid, choices.drum_style, choices.phrase_bars, rng), choices.drum_kit,
                      True, gains["drums"], 0.5))
    return parts


class _Harmony:
    """Which chord sounds at a beat, and its pitches in a part's register."""

    def __init__(self, grid, harmony, choices):
        self.grid = grid
        self.harmony = harmony
        self.key = choices.key
        self.scale = MAJOR if choices.mode == "major" else MINOR
        self.chord_size = 4 if choices.sevenths else 3

    def degree_at(self, bar, beat):
        """Scale degree of the chord sounding at ``beat`` of ``bar``."""
        return [d for start, d in self.harmony[bar] if start <= beat][-1]

    def segments(self, bar):
        """``(start_beat, end_beat, degree)`` of each chord in ``bar``."""
        segs = self.harmony[bar]
        ends = [s for s, _ in segs[1:]] + [self.grid.meter]
        return [(s, e, d) for (s, d), e in zip(segs, ends)]

    def scale_pitch(self, step):
        """MIDI pitch of scale step ``step`` counted from the tonic at octave 0 (C-1)."""
        octave, idx = divmod(step, 7)
        return self.key + 12 * octave + self.scale[idx]

    def step_range(self, low, high):
        """Lowest and highest scale steps whose pitches lie in [low, high]."""
        steps = [s for s in range(7 * 11) if low <= self.scale_pitch(s) <= high]
        return steps[0], steps[-1]

    def chord_pitches(self, degree, low):
        """The chord's notes (root position, stacked thirds) starting at or above ``low``."""
        base = [self.scale_pitch(degree + 2 * k) for k in range(self.chord_size)]
        shift = 12 * ceil((low - base[0]) / 12)
        return [p + shift for p in base]

    def chord_steps(self, degree):
        """Scale steps (mod 7) that belong to the chord, for melodic targeting."""
        return {(degree + 2 * k) % 7 for k in range(self.chord_size)}


def _velocity(base, beat, grid, rng, sub=0):
    """A humanised velocity accented by metrical weight: downbeat > group start > beat > off."""
    accent = -12 if sub else (14 if beat == 0 else 7 if beat in grid.group_starts else 0)
    return int(np.clip(base + accent + rng.normal(0, 5), 1, 127))


def _bass_events(grid, harm, style, rng):
    """Bass notes that change with the chords and mark the bar's groups.

    Styles: one note per group (root on the downbeat, then root/fifth/octave), one per
    beat, one held per chord ("pedal"), or a repeated pulse on every subdivision.
    """
    events = []
    for bar in range(grid.n_bars):
        for start, end, degree in harm.segments(bar):
            chord = harm.chord_pitches(degree, BASS_RANGE[0])
            root = chord[0]
            tones = (root, chord[2], root + 12)
            if style == "pedal":
                events.append((grid.time(bar, start), (end - start) * grid.beat_s * 0.95, root,
                               _velocity(92, start, grid, rng)))
                continue
            for beat in range(start, end):
                group_start = beat in grid.group_starts
                if style == "groups" and group_start:
                    length = grid.grouping[grid.group_of(beat)]
                    pitch = root if beat == start else int(rng.choice(tones))
                    events.append((grid.time(bar, beat), min(length, end - beat) * grid.beat_s * 0.9, pitch,
                                   _velocity(92, beat, grid, rng)))
                elif style == "beats":
                    pitch = root if group_start else int(rng.choice(tones + (chord[1],)))
                    events.append((grid.time(bar, beat), grid.beat_s * 0.85, pitch, _velocity(88, beat, grid, rng)))
                elif style == "pulse":
                    for sub in range(grid.n_sub):
                        pitch = root + 12 * (sub % 2 == 1 and rng.random() < 0.3)
                        events.append((grid.time(bar, beat, sub), grid.beat_s / grid.n_sub * 0.7, pitch,
                                       _velocity(86, beat, grid, rng, sub)))
    return events


def _chord_events(grid, harm, style, rng):
    """Chords, one per bar (or per segment), voiced in the mid register.

    Styles: held pad, stabs on group starts, "oom-pah" on the beats after each group
    start (a waltz for 3, 2+2 oom-pahs for 4, ...), or an arpeggio restarting per group.
    """
    events = []
    for bar in range(grid.n_bars):
        for start, end, degree in harm.segments(bar):
            notes = harm.chord_pitches(degree, CHORD_RANGE[0])
            for beat in range(start, end):
                group_start = beat in grid.group_starts
                if style == "pad" and beat == start:
                    hits = [(0, (end - start) * grid.beat_s * 0.97, notes)]
                elif style == "stabs" and group_start:
                    hits = [(0, grid.beat_s * 0.6, notes)]
                elif style == "oompah" and not group_start:
                    hits = [(0, grid.beat_s * 0.55, notes)]
                elif style == "arpeggio":
                    first = grid.group_starts[grid.group_of(beat)]
                    hits = [(sub, grid.beat_s / grid.n_sub * 0.95,
                             [notes[((beat - first) * grid.n_sub + sub) % len(notes)]])
                            for sub in range(grid.n_sub)]
                else:
                    hits = []
                for sub, dur, pitches in hits:
                    vel = _velocity(72, beat, grid, rng, sub)
                    events.extend((grid.time(bar, beat, sub), dur, p, vel) for p in pitches)
    return events


def _melody_events(grid, harm, phrase_bars, reuse, rng):
    """A melody in 2- or 4-bar phrases whose note density varies phrase to phrase.

    Onsets favour metrically strong slots; group starts land on chord tones; each phrase
    usually breathes over its last group; with ``reuse``, odd phrases repeat the previous
    rhythm, which gives the music repetition at the phrase (and so bar) period.
    """
    lo, hi = harm.step_range(*MELODY_RANGE)
    step = int(rng.integers(lo + 3, hi - 3))
    rhythm = []
    events = []
    for first_bar in range(0, grid.n_bars, phrase_bars):
        if rng.random() < 0.15:
            continue
        if not (reuse and (first_bar // phrase_bars) % 2 == 1 and rhythm):
            rhythm = _phrase_rhythm(grid, phrase_bars, rng)
        ends = [grid.time(first_bar + b, be, s) for b, be, s in rhythm[1:]]
        ends.append(grid.time(first_bar + phrase_bars, 0))
        legato = rng.uniform(0.6, 0.98)
        for (b, beat, sub), end in zip(rhythm, ends):
            bar = first_bar + b
            if bar >= grid.n_bars:
                break
            step = _next_step(step, harm, bar, beat, sub, lo, hi, rng)
            start = grid.time(bar, beat, sub)
            events.append((start, min(end - start, 2 * grid.beat_s) * legato, harm.scale_pitch(step),
                           _velocity(84, beat, grid, rng, sub)))
    return events


def _phrase_rhythm(grid, phrase_bars, rng):
    """Onset slots ``(bar_in_phrase, beat, sub)`` of one phrase at a drawn density."""
    density = rng.uniform(0.2, 0.85)
    breathe = rng.random() < 0.7
    last_group = grid.group_starts[-1]
    slots = [(0, 0, 0)]
    for b in range(phrase_bars):
        for beat in range(grid.meter):
            if breathe and b == phrase_bars - 1 and beat >= last_group:
                break
            for sub in range(grid.n_sub):
                weight = 1.0 if (sub == 0 and beat in grid.group_starts) else 0.75 if sub == 0 else 0.35
                if (b, beat, sub) != (0, 0, 0) and rng.random() < density * weight:
                    slots.append((b, beat, sub))
    return slots


def _next_step(step, harm, bar, beat, sub, lo, hi, rng):
    """A random-walk step on the scale, pulled to a chord tone on group starts."""
    step = int(np.clip(step + rng.choice((-2, -1, -1, 0, 1, 1, 2)), lo, hi))
    if sub == 0 and beat in harm.grid.group_starts:
        targets = harm.chord_steps(harm.degree_at(bar, beat))
        step = min((s for s in range(step - 3, step + 4) if s % 7 in targets and lo <= s <= hi),
                   key=lambda s: abs(s - step), default=step)
    return step


def _draw_drum_style(rng):
    """Drum-pattern choices shared by every meter.

    ``backbeat``: "group_end" puts the snare on the last beat of each group (2+2 gives
    the rock backbeat, 3 gives kick-x-snare); "other_starts" keeps the kick for the
    downbeat and puts snare on the other group starts; "oompah" plays soft snare on all
    beats after each group start (a waltz for 3).
    """
    return {
        "backbeat": str(rng.choice(("group_end", "other_starts", "oompah"))),
        "snare": int(rng.choice((SNARE, SNARE, CLAP, SIDE_STICK))),
        "cymbal": str(rng.choice(("hat_subdivisions", "hat_beats", "ride", "hat_offbeats"))),
        "p_open_hat": float(rng.uniform(0, 0.5)),
        "p_crash": float(rng.uniform(0, 1)),
        "p_fill": float(rng.uniform(0, 0.6)),
        "p_extra_kick": float(rng.uniform(0, 0.3)),
    }


def _drum_events(grid, style, phrase_bars, rng):
    """A drum pattern: kick on the downbeat and group starts, snare by style, cymbals
    subdividing, crashes on phrase starts and fills at phrase ends."""
    events = []
    for bar in range(grid.n_bars):
        fill = bar % phrase_bars == phrase_bars - 1 and rng.random() < style["p_fill"]
        fill_from = grid.group_starts[-1] if fill else grid.meter
        for beat in range(fill_from):
            events.extend(_drum_beat(grid, style, bar, beat, rng))
        for beat in range(fill_from, grid.meter):
            events.extend(_fill_beat(grid, style, bar, beat, rng))
        if bar % phrase_bars == 0 and rng.random() < style["p_crash"]:
            events.append((grid.time(bar, 0), 1.0, CRASH, _velocity(95, 0, grid, rng)))
    return events


def _drum_beat(grid, style, bar, beat, rng):
    """Kick, snare and cymbal hits of one ordinary (non-fill) beat."""
    group = grid.group_of(beat)
    first = grid.group_starts[group]
    last = first + grid.grouping[group] - 1
    backbeat = style["backbeat"]
    hits = []
    if beat == 0 or (beat == first and backbeat != "other_starts"):
        hits.append((0, KICK, 108))
    elif backbeat == "other_starts" and beat == first:
        hits.append((0, style["snare"], 100))
    elif backbeat == "group_end" and beat == last:
        hits.append((0, style["snare"], 100))
    elif backbeat == "oompah":
        hits.append((0, style["snare"], 68))
    elif backbeat == "other_starts" and rng.random() < 0.3:
        hits.append((int(rng.integers(grid.n_sub)), SNARE, 35))
    if beat == last and group + 1 < len(grid.grouping) and rng.random() < style["p_extra_kick"]:
        hits.append((grid.n_sub - 1, KICK, 80))
    hits.extend(_cymbal_hits(grid, style, bar, beat, rng))
    return [(grid.time(bar, beat, sub), DRUM_NOTE_S, note, _velocity(vel, beat, grid, rng, sub))
            for sub, note, vel in hits]


def _cymbal_hits(grid, style, bar, beat, rng):
    """Hi-hat or ride hits ``(sub, note, velocity)`` that subdivide one beat."""
    cymbal = style["cymbal"]
    if cymbal == "hat_subdivisions":
        subs = range(grid.n_sub)
    elif cymbal == "hat_offbeats":
        subs = range(1, grid.n_sub)
    else:
        subs = (0,)
    note = RIDE if cymbal == "ride" else CLOSED_HAT
    hits = [(sub, note, 78) for sub in subs]
    if (beat == grid.meter - 1 and subs[-1] > 0 and cymbal != "ride"
            and rng.random() < style["p_open_hat"]):
        hits[-1] = (subs[-1], OPEN_HAT, 80)
    return hits


def _fill_beat(grid, style, bar, beat, rng):
    """One beat of a fill: snare and toms on every subdivision, falling in pitch."""
    toms = (style["snare"], HIGH_TOM, MID_TOM, LOW_TOM)
    hits = []
    for sub in range(grid.n_sub):
        note = KICK if (beat, sub) == (grid.group_starts[-1], 0) else toms[min(3, (beat - grid.group_starts[-1]) + sub // 2)]
        hits.append((grid.time(bar, beat, sub), DRUM_NOTE_S, note, _velocity(90, beat, grid, rng, sub)))
    return hits


def _to_instrument(events, program, is_drum, gain_db, jitter_s, music_start, duration_s, rng):
    """Turn grid events into a humanised ``pretty_midi.Instrument``.

    Events before the music starts are dropped and notes are cut at ``duration_s``;
    onsets move by Gaussian jitter clipped to :data:`MAX_JITTER_S`. The part's mix level
    travels as a channel-volume controller (CC 7) at t=0.
    """
    inst = pretty_midi.Instrument(program=program, is_drum=is_drum)
    for t, dur, pitch, vel in events:
        if t < music_start - 1e-9 or t >= duration_s:
            continue
        start = max(0.0, t + float(np.clip(rng.normal(0, jitter_s), -MAX_JITTER_S, MAX_JITTER_S)))
        end = min(start + max(dur, 0.03), duration_s)
        if end > start:
            inst.notes.append(pretty_midi.Note(velocity=int(vel), pitch=int(pitch), start=start, end=end))
    clip_overlaps(inst.notes)
    inst.control_changes.append(pretty_midi.ControlChange(7, gain_to_cc(gain_db), 0.0))
    return inst
