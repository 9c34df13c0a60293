"""Datasets: METER2800 as published, generic CSV manifests, and split/limit selection.

Every adapter returns entries sorted by path (so file order never depends on worker
timing) plus the rows it skipped: problems (unknown label, bad split) and rows whose
audio is missing (counted per source), so one bad row never loses the others.
"""
import csv
import hashlib
import os
import re
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .. import config
from ..formats import AUDIO_EXTENSIONS

SPLITS = ("train", "val", "test")
#: The binary task of the METER2800 paper: triple versus duple/quadruple.
BINARY_CLASSES = (3, 4)
#: Split names a user may ask for, and the stored splits each one covers.
SPLIT_GROUPS = {
    "train": ("train",),
    "val": ("val",),
    "test": ("test",),
    "tuning": ("train", "val"),
    "all": SPLITS,
}
#: Fractions of songs per split when a manifest gives no split column.
HASH_SPLIT_FRACTIONS = (("train", 0.7), ("val", 0.15), ("test", 0.15))
#: METER2800's tables: ``data_test_4_classes.tab``, ``data_val_2_classes.csv``, ...
METER2800_TABLE = "data_{split}_{n}_classes{suffix}"
#: Its two published forms: tab-separated (names often quoted) and the CSV mirror.
METER2800_DELIMITERS = {".tab": "\t", ".csv": ","}
#: Trailing "segment of a song" markers, e.g. ``song_seg3`` or ``song-part02``.
_SEGMENT_SUFFIX = re.compile(r"[_\-. ](seg|segment|part|chunk|clip)[_\-]?\d+$", re.IGNORECASE)
#: Cells meaning "no alternative meter" in METER2800's ``alt_meter`` column.
_NO_VALUE = {"", "nan", "none", "-", "0"}


class DatasetError(Exception):
    """A dataset that cannot be read at all (missing folder, table or manifest)."""


@dataclass(frozen=True)
class Entry:
    """One audio file; ``song_id`` groups segments of one song.

    ``meter`` is ``None`` for unlabelled files (prediction); ``source`` names the
    collection a file comes from (METER2800's ``FMA``, ``MAG``, ...; ``corpus``);
    ``alt_meter`` is an also-acceptable answer some METER2800 rows give (6 for a 3);
    ``dataset`` names the dataset a run read it from (``corpus``, ``scores``,
    ``meter2800``, a manifest's name), so results can be told apart per dataset.
    """

    path: Path
    meter: int
    split: str
    song_id: str
    source: str = None
    alt_meter: int = None
    dataset: str = None

    def __lt__(self, other):
        """Path first; ``None`` (no label, no source) sorts before any value, so the same
        file listed twice with and without one still sorts."""
        return _sort_key(self) < _sort_key(other)


def _sort_key(entry):
    values = (getattr(entry, column.name) for column in fields(entry))
    return tuple((value is not None, value if value is not None else 0) for value in values)


@dataclass
class Dataset:
    entries: list = field(default_factory=list)
    #: ``(where, cause)`` for every row skipped for a reason other than missing audio.
    problems: list = field(default_factory=list)
    #: ``(source, path)`` for every row whose audio file was not found.
    missing_audio: list = field(default_factory=list)
    #: Rows read per source, with or without audio.
    rows_per_source: Counter = field(default_factory=Counter)
    #: ``{where: path}`` of the problem rows that name a file (predict gives each a row).
    problem_paths: dict = field(default_factory=dict)

    def extend(self, other):
        self.entries = sorted(self.entries + other.entries)
        self.problems += other.problems
        self.missing_audio += other.missing_audio
        self.rows_per_source += other.rows_per_source

    def missing_by_source(self):
        """``[(source, rows, rows without audio, first missing path)]``, sources with gaps."""
        missing = Counter(source for source, _ in self.missing_audio)
        first = {}
        for source, path in self.missing_audio:
            first.setdefault(source, path)
        return [(source or "-", self.rows_per_source[source], missing[source], first[source])
                for source in sorted(missing, key=lambda s: s or "")]


def stable_hash(text):
    """A hash that is the same in every process and Python run (unlike ``hash()``)."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")


def song_id_from_path(path):
    """Song id of a file: its stem without a trailing segment marker."""
    return _SEGMENT_SUFFIX.sub("", Path(path).stem)


def hash_split(song_id, fractions=HASH_SPLIT_FRACTIONS, salt=""):
    """Assign a song to a split by hash, so every segment of a song lands together."""
    position = (stable_hash(salt + song_id) % 10_000) / 10_000
    cumulative = 0.0
    for name, fraction in fractions:
        cumulative += fraction
        if position < cumulative:
            return name
    return fractions[-1][0]


def parse_meter(text, classes=config.CANDIDATE_METERS):
    """A meter label as beats per bar: ``"3"``, ``"3/4"`` or ``"7/8"`` give 3, 3, 7."""
    try:
        value = int(str(text).strip().strip('"').split("/")[0])
    except ValueError:
        raise ValueError(f"meter {text!r} is not a number of beats per bar") from None
    if value not in classes:
        raise ValueError(f"unknown meter {text!r} (known: {', '.join(map(str, classes))})")
    return value


def parse_alt_meter(text):
    """METER2800's ``alt_meter`` cell: beats per bar, or ``None`` when empty."""
    text = str(text if text is not None else "").strip().strip('"')
    if text.lower() in _NO_VALUE:
        return None
    try:
        return int(float(text))
    except ValueError:
        raise ValueError(f"alt_meter {text!r} is not a number of beats per bar") from None


def parse_classes(text):
    """``"3,4"`` -> ``(3, 4)``: the meters a run keeps; rejects meters no signal scores."""
    try:
        classes = tuple(sorted({int(part) for part in str(text).split(",") if part.strip()}))
    except ValueError:
        classes = ()
    if not classes or set(classes) - set(config.CANDIDATE_METERS):
        raise DatasetError(f"classes must be comma-separated meters from "
                           f"{', '.join(map(str, config.CANDIDATE_METERS))} (got {text!r})")
    return classes


def select(entries, split):
    """Entries of a split name from :data:`SPLIT_GROUPS`."""
    if split not in SPLIT_GROUPS:
        raise DatasetError(f"unknown split {split!r} (choose from {', '.join(SPLIT_GROUPS)})")
    wanted = SPLIT_GROUPS[split]
    return [entry for entry in entries if entry.split in wanted]


def stratified_limit(entries, limit):
    """Up to ``limit`` entries taken round-robin over the classes; 0 means all.

    Within a class the order is a hash of the path, so the sample is deterministic and
    spread over the class rather than its first files.
    """
    if limit <= 0 or limit >= len(entries):
        return sorted(entries)
    by_class = {}
    for entry in sorted(entries, key=lambda e: stable_hash(str(e.path))):
        by_class.setdefault(entry.meter, []).append(entry)
    queues = [by_class[meter] for meter in sorted(by_class)]
    chosen = []
    depth = 0
    while len(chosen) < limit:
        for queue in queues:
            if depth < len(queue) and len(chosen) < limit:
                chosen.append(queue[depth])
        depth += 1
    return sorted(chosen)


def read_manifest(manifest, default_source=None, labelled=True):
    """Entries of a CSV manifest: ``path[,meter][,split][,song][,source][,alt_meter]``.

    Relative paths are taken from the manifest's folder. Without a ``split`` column the
    split is a hash of the song id. ``labelled=False`` (prediction) makes ``meter``
    optional and keeps rows whose audio is missing, for the engine to report per file.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise DatasetError(f"{manifest}: manifest not found")
    dataset = Dataset()
    seen = {}
    with _open_table(manifest) as handle:
        reader = _table_reader(handle)
        missing = ({"path", "meter"} if labelled else {"path"}) - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{manifest}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            path = (manifest.parent / row["path"].strip()).resolve()
            song_id = (row.get("song") or "").strip() or song_id_from_path(path)
            _add(dataset, f"{manifest}:{line}", path, row.get("meter"),
                 (row.get("split") or "").strip() or hash_split(song_id), song_id,
                 (row.get("source") or "").strip() or default_source, row.get("alt_meter"),
                 labelled, seen)
    dataset.entries.sort()
    return dataset


def read_meter2800(root, splits=SPLITS, classes=None):
    """Entries of METER2800 as published under ``root``.

    ``root`` holds ``data_{train,val,test}_4_classes.tab`` (tab-separated, ``filename``
    possibly quoted, ``label``, ``meter``) or the CSV mirror ``data_*_4_classes.csv``
    (``filename,label,meter,alt_meter``); for the binary task (``classes`` 3 and 4) the
    ``_2_classes`` tables when present. Filenames like ``/MAG/00553.wav`` name the audio
    in per-source folders below ``root`` or ``root/audio`` (or flattened as
    ``audio/MAG_00553.wav``), with any decodable extension; GTZAN files are also found
    in GTZAN's own ``genres/<genre>/<name>`` layout anywhere below ``root``.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: METER2800 folder not found (expected the folder "
                           "holding data_{train,val,test}_4_classes.tab and the audio)")
    dataset = Dataset()
    finder = _Meter2800AudioFinder(root)
    for split in splits:
        table, delimiter = _meter2800_table(root, split, classes)
        with _open_table(table) as handle:
            reader = _table_reader(handle, delimiter)
            if not {"filename", "meter"} <= set(reader.fieldnames):
                raise DatasetError(f"{table}: expected columns filename and meter, "
                                   f"found {', '.join(reader.fieldnames) or 'none'}")
            for line, row in enumerate(reader, start=2):
                name = row["filename"].strip().strip('"')
                relative = Path(name.strip("/"))
                source = relative.parts[0] if len(relative.parts) > 1 else None
                _add(dataset, f"{table}:{line}", finder.find(relative), row["meter"], split,
                     str(relative.with_suffix("")), source, row.get("alt_meter"))
    if dataset.missing_audio and not dataset.entries:
        raise DatasetError(f"{root}: none of the {len(dataset.missing_audio)} audio files "
                           f"named in the METER2800 tables exists (e.g. "
                           f"{dataset.missing_audio[0][1]}); put the "
                           "audio in per-source folders (FMA/, MAG/, OWN/, GTZAN/) there or "
                           "under audio/")
    dataset.entries.sort()
    return dataset


def _open_table(path):
    """A table as text; ``utf-8-sig`` drops the byte-order mark spreadsheets write."""
    return path.open(newline="", encoding="utf-8-sig")


def _table_reader(handle, delimiter=","):
    """Rows by column name, names freed of the padding and quotes spreadsheets add."""
    reader = csv.DictReader(handle, delimiter=delimiter)
    reader.fieldnames = [name.strip().strip('"') for name in reader.fieldnames or ()]
    return reader


def _meter2800_table(root, split, classes):
    """The table of ``split`` and its delimiter: ``.tab`` or ``.csv``, 2 or 4 classes."""
    binary = classes is not None and set(classes) <= set(BINARY_CLASSES)
    names = [METER2800_TABLE.format(split=split, n=n, suffix=suffix)
             for n in ((2, 4) if binary else (4,)) for suffix in METER2800_DELIMITERS]
    for name in names:
        if (root / name).is_file():
            return root / name, METER2800_DELIMITERS[Path(name).suffix]
    raise DatasetError(f"{root}: no METER2800 table for the {split} split (expected "
                       f"{' or '.join(names)} there)")


class _Meter2800AudioFinder:
    """Where a METER2800 filename's audio lies; GTZAN's own layout is indexed once."""

    def __init__(self, root):
        self.root = root
        self._by_stem = None

    def find(self, relative):
        flattened = "_".join(relative.parts)
        for base in (self.root / "audio" / relative, self.root / relative,
                     self.root / "audio" / flattened):
            for candidate in [base] + [base.with_suffix(ext) for ext in AUDIO_EXTENSIONS]:
                if candidate.is_file():
                    return candidate
        return self._genre_layout().get(relative.stem, self.root / relative)

    def _genre_layout(self):
        """``{stem: path}`` of files in ``<genre>/<genre>.<number>.<ext>`` folders.

        GTZAN ships as ``genres/blues/blues.00002.au`` (or ``.wav``), often linked in
        from elsewhere, so symbolic links are followed.
        """
        if self._by_stem is None:
            self._by_stem = {}
            for folder, _, files in sorted(os.walk(self.root, followlinks=True)):
                genre = Path(folder).name
                for name in sorted(files):
                    path = Path(folder) / name
                    if path.stem.split(".")[0] == genre and path.suffix in AUDIO_EXTENSIONS:
                        self._by_stem.setdefault(path.stem, path)
        return self._by_stem


def _add(dataset, where, path, meter_text, split, song_id, source=None, alt_text=None,
         labelled=True, seen=None):
    """Append one row, or record why it was skipped (unlabelled rows may lack a meter
    and their audio); ``seen`` (``{path: where}``) refuses a file already listed."""
    dataset.rows_per_source[source] += 1
    try:
        meter = parse_meter(meter_text) if labelled or (meter_text or "").strip() else None
        alt_meter = parse_alt_meter(alt_text)
    except ValueError as error:
        dataset.problems.append((where, str(error)))
        dataset.problem_paths[where] = Path(path)
        return
    if split not in SPLITS:
        dataset.problems.append((where, f"unknown split {split!r}"))
        dataset.problem_paths[where] = Path(path)
        return
    if seen is not None:
        if Path(path) in seen:
            dataset.problems.append((where, f"same file as {seen[Path(path)]}"))
            return
        seen[Path(path)] = where
    if labelled and not Path(path).is_file():
        dataset.missing_audio.append((source, Path(path)))
        return
    dataset.entries.append(Entry(Path(path), meter, split, song_id, source, alt_meter))


#: The dataset kinds a user can name (``make ... DATASET=...``).
DATASET_KINDS = ("corpus", "scores", "meter2800", "manifest")
#: Where the embedded datasets live unless ``--data-dir`` says otherwise.
EMBEDDED_ROOTS = {"corpus": config.CORPUS_DIR, "scores": config.SCORES_DIR}
#: Where the embedded corpus keeps its separately reported extra part.
CORPUS_EXTRA_SUBDIR = "extra"


#: Source name of the embedded datasets' entries (a manifest's ``source`` column wins),
#: and of the corpus's extra part.
EMBEDDED_SOURCES = {"corpus": "corpus", "scores": "scores"}
CORPUS_EXTRA_SOURCE = "corpus extra"


@dataclass(frozen=True)
class DatasetConfig:
    """Which files a run reads: a dataset kind, where it lives, the extra data, the classes.

    ``extra_manifests`` are added only when a step asks for ``--extra-data``; for the
    embedded corpus its extra part and the real-score dataset (at ``scores_root``) are
    added too when they have been built; each keeps its own splits. ``classes``
    (e.g. ``(3, 4)`` for METER2800's binary task) keeps only files of those meters;
    ``None`` keeps every meter the data has.
    """

    kind: str = "corpus"
    root: Path = config.CORPUS_DIR
    extra_manifests: tuple = ()
    classes: tuple = None
    scores_root: Path = config.SCORES_DIR

    def main_dataset(self):
        if self.kind == "meter2800":
            return tagged(read_meter2800(self.root, classes=self.classes), self.kind)
        if self.kind in EMBEDDED_ROOTS:
            manifest = Path(self.root) / "manifest.csv"
            if not manifest.is_file():
                raise DatasetError(f"{manifest}: embedded {self.kind} dataset not built "
                                   "(run `make data`)")
            return tagged(read_manifest(manifest, EMBEDDED_SOURCES[self.kind]), self.kind)
        if self.kind == "manifest":
            return tagged(read_manifest(self.root), Path(self.root).stem)
        raise DatasetError(f"unknown dataset kind {self.kind!r} (choose from {DATASET_KINDS})")

    def extra_dataset(self):
        dataset = Dataset()
        for manifest in self.extra_manifests:
            dataset.extend(tagged(read_manifest(manifest), Path(manifest).stem))
        if self.kind == "corpus":
            corpus_extra = Path(self.root) / CORPUS_EXTRA_SUBDIR / "manifest.csv"
            if corpus_extra.is_file():
                dataset.extend(tagged(read_manifest(corpus_extra, CORPUS_EXTRA_SOURCE),
                                      CORPUS_EXTRA_SOURCE))
            scores = Path(self.scores_root) / "manifest.csv"
            if scores.is_file():
                dataset.extend(tagged(read_manifest(scores, EMBEDDED_SOURCES["scores"]), "scores"))
        return dataset

    def load(self, split, extra_data=False, limit=0):
        """The entries of ``split`` (see :data:`SPLIT_GROUPS`) and ``classes``,
        stratified-limited."""
        dataset = self.main_dataset()
        if extra_data:
            dataset.extend(self.extra_dataset())
        entries = select(dataset.entries, split)
        if self.classes is not None:
            entries = [entry for entry in entries if entry.meter in self.classes]
        dataset.entries = stratified_limit(entries, limit)
        return dataset


def tagged(dataset, name):
    """``dataset`` with every entry's ``dataset`` set to ``name``."""
    dataset.entries = [replace(entry, dataset=name) for entry in dataset.entries]
    return dataset


def song_folds(song_ids, n_folds, salt):
    """``{song: fold}`` for K-fold cross-fitting: every segment of a song in one fold.

    Songs are ranked by a salted hash and dealt round-robin, so folds differ in size by
    at most one song and none is empty while there are at least ``n_folds`` songs.
    """
    ranked = sorted(set(song_ids), key=lambda song: (stable_hash(f"{salt}:{song}"), song))
    return {song: rank % n_folds for rank, song in enumerate(ranked)}


def validation_mask(song_ids, fraction, salt):
    """Boolean mask of the songs held out for validation, by hash of the song id.

    With two or more songs, at least one song lands on each side, so tiny datasets
    still validate (and still train).
    """
    fractions = (("train", 1 - fraction), ("val", fraction))
    held_out = {song: hash_split(song, fractions, salt) == "val" for song in set(song_ids)}
    if len(held_out) >= 2 and len(set(held_out.values())) == 1:
        ranked = sorted(held_out, key=lambda song: stable_hash(f"{salt}:{song}"))
        held_out = {song: song == ranked[0] for song in held_out}
    return [held_out[song] for song in song_ids]
