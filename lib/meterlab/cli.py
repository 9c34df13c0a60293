"""Command-line pieces every script shares: dataset and worker flags, problem reports."""
import argparse
import functools
import os
import sys
from pathlib import Path

from tabulate import tabulate

from . import config
from .data.datasets import (DATASET_KINDS, EMBEDDED_ROOTS, SPLIT_GROUPS, DatasetConfig,
                            DatasetError, parse_classes)
from .engine.cache import StorageError


def script_parser(doc):
    """The argument parser of a script whose docstring is its help, usage lines kept."""
    return argparse.ArgumentParser(description=doc,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def test_split_parser(doc):
    """The parser of a script that runs the arbiter over a dataset's test split (eval and
    the beat reports): the dataset, worker and predictor flags."""
    parser = script_parser(doc)
    add_dataset_arguments(parser, default_split="test")
    add_worker_arguments(parser)
    add_predictor_arguments(parser)
    return parser


def add_dataset_arguments(parser, default_split="tuning"):
    """Flags that choose the files: ``--dataset``, ``--data-dir``, ``--split``, ..."""
    group = parser.add_argument_group("dataset")
    group.add_argument("--dataset", choices=DATASET_KINDS, default="corpus",
                       help="corpus (embedded, default), scores (embedded real scores), "
                            "meter2800, or a CSV manifest")
    group.add_argument("--data-dir", type=Path, default=None,
                       help="METER2800 folder, embedded dataset folder, or manifest file "
                            f"(default: {config.CORPUS_DIR} or {config.SCORES_DIR})")
    group.add_argument("--split", default=default_split,
                       help="train, val, test, tuning (= train + val) or all")
    group.add_argument("--extra-data", action="store_true",
                       help="add the extra manifests (and the corpus's extra part)")
    group.add_argument("--extra-manifest", type=Path, action="append", default=[],
                       help="an extra CSV manifest for --extra-data (repeatable)")
    group.add_argument("--limit", type=int, default=0,
                       help="stratified sample of N files; 0 = all")
    group.add_argument("--classes", default=None,
                       help="keep only these meters, e.g. 3,4 (METER2800's binary task, "
                            "read from its _2_classes tables when present); default: all")
    return group


def dataset_config(args):
    if args.data_dir is None and args.dataset not in EMBEDDED_ROOTS:
        sys.exit(f"error: --dataset {args.dataset} needs --data-dir")
    root = args.data_dir if args.data_dir is not None else EMBEDDED_ROOTS[args.dataset]
    try:
        classes = parse_classes(args.classes) if args.classes else None
    except DatasetError as error:
        sys.exit(f"error: --classes: {error}")
    return DatasetConfig(args.dataset, Path(root), tuple(args.extra_manifest), classes)


def load_entries(args):
    """Entries the flags select; skipped rows are printed, never silently dropped.

    Rows without audio are counted per source before anything runs (a missing GTZAN
    folder shows as one line, not hundreds).
    """
    try:
        dataset = dataset_config(args).load(args.split, args.extra_data, args.limit)
    except DatasetError as error:
        sys.exit(f"error: {error}")
    report_missing_audio(dataset)
    report_problems(dataset.problems, "skipped dataset rows")
    if not dataset.entries:
        sys.exit(f"no files in split {args.split!r} of dataset {args.dataset!r}")
    return dataset.entries


def report_missing_audio(dataset):
    missing = dataset.missing_by_source()
    if missing:
        print(f"rows without audio, skipped ({sum(row[2] for row in missing)}):",
              file=sys.stderr)
        print(tabulate(missing, headers=["source", "rows", "without audio", "first missing"]),
              file=sys.stderr)


def exits_on_storage_error(main):
    """``main``, exiting non-zero with the cause when the cache cannot be written (disk
    full, read-only data folder) instead of blaming each audio file in turn."""
    @functools.wraps(main)
    def guarded(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except StorageError as error:
            sys.exit(f"error: {error}")

    return guarded


def add_worker_arguments(parser, default=1):
    """``-w/--workers`` (processes here) or ``--scheduler`` (a Dask cluster), not both:
    every script that does per-file work takes these two."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-w", "--workers", type=int, default=default,
                       help=f"worker processes on this machine (default {default})")
    group.add_argument("--scheduler", default=None, metavar="ADDRESS|local:N",
                       help="run the per-file work on the Dask scheduler at ADDRESS "
                            "(tcp://host:8786), or on a local Dask cluster of N processes")
    return group


def worker_options(args):
    """``workers`` and ``scheduler`` for the engine; exits when the cluster cannot work."""
    if args.scheduler is not None:
        try:
            from .engine.cluster import ClusterError, check_scheduler
        except ImportError as error:
            sys.exit(f"error: --scheduler needs Dask ({error}): pip install 'meterlab[dask]'")

        try:
            check_scheduler(args.scheduler)
        except ClusterError as error:
            sys.exit(f"error: {error}")
    return {"workers": args.workers, "scheduler": args.scheduler}


def parallelism(args):
    """How the work will run, in words: ``"2 workers"`` or ``"scheduler local:2"``."""
    return f"scheduler {args.scheduler}" if args.scheduler else f"{args.workers} worker(s)"


def report_problems(problems, title):
    if problems:
        print(f"{title} ({len(problems)}):", file=sys.stderr)
        for where, cause in problems:
            print(f"  {where}: {cause}", file=sys.stderr)


def add_predictor_arguments(parser):
    """``--checkpoint`` and ``--prior``: what eval and predict answer with."""
    from .learn.priors import HELP

    parser.add_argument("--checkpoint", default=None,
                        help=f"arbiter checkpoint (default {config.ARBITER_CHECKPOINT}; "
                             "without one, the signals vote)")
    parser.add_argument("--prior", default=None, help=HELP)


def load_checked_predictor(checkpoint=None):
    """The arbiter (or the vote) for eval/predict; exits with the reason when unusable,
    warns (stderr) naming each library whose version differs from the model's."""
    from .learn.mlp import CheckpointError
    from .learn.predictor import check_versions, load_predictor

    try:
        predictor = load_predictor(checkpoint)
        warnings = check_versions(predictor)
    except CheckpointError as error:
        sys.exit(f"error: {error}")
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return predictor


def checked_prior(text, predictor):
    """The class prior ``--prior`` names for ``predictor``'s classes; exits with the
    reason when it cannot be used (before any file is analysed)."""
    from .learn.priors import PriorError, choose_prior

    try:
        return choose_prior(text, predictor.classes)
    except PriorError as error:
        sys.exit(f"error: --prior: {error}")


def require_tuning_split(split):
    """Exit unless ``split`` excludes the test split: only eval may read it."""
    if "test" in SPLIT_GROUPS.get(split, ("test",)):
        sys.exit(f"error: --split {split} includes the test split, which only eval reads; "
                 "use tuning, train or val")


def add_build_arguments(parser):
    """The options both dataset builders take: extra SoundFonts, seed, processes."""
    parser.add_argument("--soundfont", action="append", default=[], metavar="SF2",
                        help="a General-MIDI .sf2 to draw from besides pretty_midi's (repeatable)")
    parser.add_argument("--seed", type=int, default=0)
    add_worker_arguments(parser, default=os.cpu_count() or 1)


def soundfonts(args):
    """pretty_midi's bundled GM font and every ``--soundfont`` given (absolute paths);
    exits naming a path that is not a file."""
    from .data.build.render import SOUNDFONT_PATH

    paths = [SOUNDFONT_PATH] + [str(Path(path).resolve()) for path in args.soundfont]
    for path in paths:
        if not Path(path).is_file():
            sys.exit(f"error: --soundfont {path}: file not found")
    return paths
