"""Datasets: METER2800 as published, generic CSV manifests, and split/limit selection.

Every adapter returns entries sorted by path (so file order never depends on worker
timing) plus a list of problems (missing file, unknown label) that were skipped, so one
bad row never loses the others.
"""
import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import config

SPLITS = ("train", "val", "test")
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
AUDIO_EXTENSIONS = (".wav", ".mp3", ".flac", ".ogg")
METER2800_TABLE = "data_{split}_4_classes.tab"
#: Trailing "segment of a song" markers, e.g. ``song_seg3`` or ``song-part02``.
_SEGMENT_SUFFIX = re.compile(r"[_\-. ](seg|segment|part|chunk|clip)[_\-]?\d+$", re.IGNORECASE)


class DatasetError(Exception):
    """A dataset that cannot be read at all (missing folder, table or manifest)."""


@dataclass(frozen=True, order=True)
class Entry:
    """One audio file with its meter label; ``song_id`` groups segments of one song."""

    path: Path
    meter: int
    split: str
    song_id: str


@dataclass
class Dataset:
    entries: list = field(default_factory=list)
    #: ``(where, cause)`` for every row that was skipped.
    problems: list = field(default_factory=list)

    def extend(self, other):
        self.entries = sorted(self.entries + other.entries)
        self.problems += other.problems


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
    value = int(str(text).strip().strip('"').split("/")[0])
    if value not in classes:
        raise ValueError(f"unknown meter {text!r} (known: {', '.join(map(str, classes))})")
    return value


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


def read_manifest(manifest):
    """Entries of a CSV manifest with columns ``path,meter[,split][,song]``.

    Relative paths are taken from the manifest's folder. Without a ``split`` column the
    split is a hash of the song id.
    """
    manifest = Path(manifest)
    if not manifest.is_file():
        raise DatasetError(f"{manifest}: manifest not found")
    dataset = Dataset()
    with manifest.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"path", "meter"} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{manifest}: missing column(s) {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            where = f"{manifest}:{line}"
            path = (manifest.parent / row["path"]).resolve()
            song_id = (row.get("song") or "").strip() or song_id_from_path(path)
            split = (row.get("split") or "").strip() or hash_split(song_id)
            _add(dataset, where, path, row["meter"], split, song_id)
    dataset.entries.sort()
    return dataset


def read_meter2800(root, splits=SPLITS):
    """Entries of METER2800 as published under ``root``.

    ``root`` holds ``data_{train,val,test}_4_classes.tab`` (tab-separated, columns
    ``filename``, ``label``, ``meter``; filenames like ``/MAG/00553.wav``) and the audio,
    either as given below ``root`` or ``root/audio``, or flattened as
    ``audio/MAG_00553.wav``, with any of the usual audio extensions.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: METER2800 folder not found")
    dataset = Dataset()
    for split in splits:
        table = root / METER2800_TABLE.format(split=split)
        if not table.is_file():
            raise DatasetError(f"{table}: METER2800 table not found")
        with table.open(newline="") as handle:
            reader = csv.DictReader(handle, delimiter="\t")
            for line, row in enumerate(reader, start=2):
                row = {key.strip().strip('"'): value for key, value in row.items()}
                name = row["filename"].strip().strip('"')
                path = _find_meter2800_audio(root, name)
                _add(dataset, f"{table}:{line}", path, row["meter"], split,
                     name.strip("/").rsplit(".", 1)[0])
    dataset.entries.sort()
    return dataset


def _find_meter2800_audio(root, name):
    relative = Path(name.strip("/"))
    flattened = "_".join(relative.parts)
    for base in (root / "audio" / relative, root / relative, root / "audio" / flattened):
        for candidate in [base] + [base.with_suffix(ext) for ext in AUDIO_EXTENSIONS]:
            if candidate.is_file():
                return candidate
    return root / "audio" / relative


def _add(dataset, where, path, meter_text, split, song_id):
    """Append one row, or record why it was skipped."""
    try:
        meter = parse_meter(meter_text)
    except ValueError as error:
        dataset.problems.append((where, str(error)))
        return
    if split not in SPLITS:
        dataset.problems.append((where, f"unknown split {split!r}"))
        return
    if not Path(path).is_file():
        dataset.problems.append((where, f"audio file not found: {path}"))
        return
    dataset.entries.append(Entry(Path(path), meter, split, song_id))


#: The dataset kinds a user can name (``make ... DATASET=...``).
DATASET_KINDS = ("corpus", "meter2800", "manifest")
#: Where the embedded corpus keeps its separately reported extra part.
CORPUS_EXTRA_SUBDIR = "extra"


@dataclass(frozen=True)
class DatasetConfig:
    """Which files a run reads: a dataset kind, where it lives, and the extra data.

    ``extra_manifests`` are added only when a step asks for ``--extra-data``; for the
    embedded corpus its extra part is added too when it has been built.
    """

    kind: str = "corpus"
    root: Path = config.CORPUS_DIR
    extra_manifests: tuple = ()

    def main_dataset(self):
        if self.kind == "meter2800":
            return read_meter2800(self.root)
        if self.kind == "corpus":
            manifest = Path(self.root) / "manifest.csv"
            if not manifest.is_file():
                raise DatasetError(f"{manifest}: embedded corpus not built (run `make data`)")
            return read_manifest(manifest)
        if self.kind == "manifest":
            return read_manifest(self.root)
        raise DatasetError(f"unknown dataset kind {self.kind!r} (choose from {DATASET_KINDS})")

    def extra_dataset(self):
        manifests = list(self.extra_manifests)
        corpus_extra = Path(self.root) / CORPUS_EXTRA_SUBDIR / "manifest.csv"
        if self.kind == "corpus" and corpus_extra.is_file():
            manifests.append(corpus_extra)
        dataset = Dataset()
        for manifest in manifests:
            dataset.extend(read_manifest(manifest))
        return dataset

    def load(self, split, extra_data=False, limit=0):
        """The entries of ``split`` (see :data:`SPLIT_GROUPS`), stratified-limited."""
        dataset = self.main_dataset()
        if extra_data:
            dataset.extend(self.extra_dataset())
        dataset.entries = stratified_limit(select(dataset.entries, split), limit)
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
