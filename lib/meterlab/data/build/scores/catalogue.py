"""Which works of the music21 corpus can be used, their meter class and their work id.

The corpus's metadata bundle (shipped inside the music21 wheel) lists every work's time
signatures, so works with exactly one time signature are selected without parsing them.
Reading the bundle takes ~20 s, so the catalogue is cached as JSON under ``data/``.

The meter rule (:func:`meter_class`), one rule for every source:

- the class is the signature's numerator (beats per bar, the beat being the denominator's
  note value): 3/4, 3/8, 3/2 -> 3; 4/4, 4/2 (and C) -> 4; 5/x -> 5; 7/x -> 7;
- a duple numerator counts as 4 (2/4, 2/2 -> 4; their 4-beat "bar" is two notated bars),
  as METER2800 labels duple music;
- compound signatures (6/8, 9/8, 12/8, 6/4, ...) map to 6, 9, 12, which are not among the
  default classes: their beat is a dotted note, so counting them as 2, 3 or 4 would take a
  guess about the performance; they are built only when those classes are requested;
- anything else (1/4, 8/8, 11/16, ...) is left out.
"""
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from ....engine.atomic import write_json

#: Collections used, and the sources their works are reported under. (Josquin's ABC files
#: parse as one voice per tune without bar lines, so there is no bar grid to anchor beats.)
SOURCES = ("bach", "essenFolksong", "ryansMammoth", "oneills1850", "airdsAirs", "miscFolk",
           "trecento", "monteverdi", "palestrina", "beethoven", "mozart", "haydn",
           "schumann_clara", "schumann_robert", "chopin", "schubert", "corelli", "cpebach",
           "handel", "joplin", "beach", "verdi", "weber")
#: File kinds music21 parses to notes (``rntxt`` files are harmonic analyses, not music).
MUSIC_SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn", ".abc", ".mid")
#: Compound numerators: their class is their numerator, built only on request.
COMPOUND = (6, 9, 12)
#: Bump when what the catalogue holds (work ids, selection) changes: the cache is rebuilt.
CATALOGUE_VERSION = 2
#: Dance types that end folk-tune titles in one collection and not in another.
DANCE_WORDS = ("reel", "hornpipe", "jig", "slipjig", "slip", "double", "single", "waltz",
               "strathspey", "polka", "clog", "march", "set", "dance", "schottische", "quickstep")


@dataclass(frozen=True, order=True)
class Work:
    """One parseable item of the corpus (a file, or one tune of a multi-tune file)."""

    source: str
    path: str
    number: int
    time_signature: str
    title: str
    work_id: str

    @property
    def key(self):
        """A stable unique name: the corpus path, plus the tune number when there is one."""
        return self.path if self.number is None else f"{self.path}#{self.number}"

    @property
    def meter(self):
        return meter_class(self.time_signature)


def meter_class(time_signature):
    """The class of a time signature by the module's rule, or ``None`` when left out."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(time_signature))
    if not match:
        return None
    numerator = int(match.group(1))
    if numerator == 2:
        return 4
    if numerator in (3, 4, 5, 7) + COMPOUND:
        return numerator
    return None


def single_signature(time_signatures):
    """The one time signature of a work, or ``None`` when it has several, none, or one the
    meter rule leaves out."""
    distinct = set(time_signatures or ())
    if len(distinct) != 1:
        return None
    signature = distinct.pop()
    return signature if meter_class(signature) is not None else None


def slug(text):
    """Lower-case ASCII words joined by ``-``: accents, punctuation and case removed."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def tune_title(title):
    """A folk-tune title normalised so that one tune in two collections gets one id.

    Drops a dance-type suffix (``-- Reel``), page references (``(Band 1), S. 224``),
    bracketed notes and a leading article.
    """
    title = str(title or "").split(" -- ")[0]
    title = re.sub(r"\(.*?\)|\[.*?\]|,?\s*S\.\s*\d+.*$", " ", title)
    words = [w for w in slug(title).split("-") if w]
    if words and words[0] in ("the", "a", "an", "der", "die", "das"):
        words = words[1:]
    while len(words) > 1 and words[-1] in DANCE_WORDS:
        words = words[:-1]
    return "-".join(words)


def work_id(source, path, title, chorale_titles):
    """The id shared by every excerpt, copy and arrangement of one work.

    Bach chorales: the chorale (its title in music21's chorale list, so two harmonisations
    of one chorale share it); folk collections: the normalised tune title, shared across
    collections; Palestrina: the mass (its movements share the number in the file name);
    other composers: the file without movement or format (a quartet and its movements,
    and the ``.krn`` and ``.mxl`` of one piece, are one work).
    """
    stem = Path(path).stem
    if source == "bach":
        bwv = stem.removeprefix("bwv")
        title = chorale_titles.get(bwv) or chorale_titles.get(bwv.split(".")[0])
        return f"chorale:{slug(title)}" if title else f"bach:{slug(bwv)}"
    if source in ("essenFolksong", "ryansMammoth", "oneills1850", "airdsAirs", "miscFolk"):
        return f"tune:{tune_title(title) or slug(stem)}"
    if source == "palestrina":
        number = re.search(r"(\d+)$", stem)
        return f"palestrina:mass-{int(number.group(1))}" if number else f"palestrina:{slug(stem)}"
    parts = Path(path).with_suffix("").parts
    if len(parts) > 2:
        return f"{source}:{slug('/'.join(parts[1:-1]))}"
    return f"{source}:{tune_title(title) or slug(stem)}"


def read_catalogue(cache_dir):
    """Every usable work of the corpus (one time signature, a class, a known source).

    Built from music21's metadata bundle on first use and cached in ``cache_dir``, under a
    name that holds music21's version and :data:`CATALOGUE_VERSION`.
    """
    import music21

    cache_path = Path(cache_dir) / f"catalogue-music21-{music21.__version__}-v{CATALOGUE_VERSION}.json"
    if not cache_path.is_file():
        write_json(cache_path, [asdict(work) for work in _scan_bundle()])
    return [Work(**row) for row in json.loads(cache_path.read_text())]


def _scan_bundle():
    """Works with one time signature whose class the rule gives, sorted by key."""
    from music21 import corpus
    from music21.corpus.chorales import ChoraleListRKBWV

    chorale_titles = {str(bwv): row["title"] for bwv, row in ChoraleListRKBWV().byBWV.items()}
    works = []
    for entry in corpus.corpora.CoreCorpus().metadataBundle:
        metadata = entry.metadata
        path = str(entry.sourcePath)
        source = path.split("/")[0]
        if metadata is None or source not in SOURCES or Path(path).suffix not in MUSIC_SUFFIXES:
            continue
        signature = single_signature(metadata.timeSignatures)
        if signature is None:
            continue
        title = metadata.title or metadata.movementName or Path(path).stem
        number = None if entry.number is None else int(entry.number)
        works.append(Work(source, path, number, signature, str(title),
                          work_id(source, path, title, chorale_titles)))
    return sorted(set(works), key=lambda work: work.key)
