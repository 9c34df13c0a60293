"""A folder of good and bad audio, to try predict on what users really have.

    python scripts/setup/make_mixed_folder.py --out /tmp/mixed --good 40
    python scripts/predict.py /tmp/mixed -w 2 --out preds.csv

Good files are clips of the corpus generator (its own seed, so they are not in the
default corpus's cache) re-encoded as wav, flac, ogg, mp3 and m4a (AAC, by the bundled
ffmpeg) in nested folders; then one
file of each bad kind (empty, corrupt, truncated, not audio, too short, silent,
non-finite, m4a, aac).
"""
import csv
import sys
import tempfile
from pathlib import Path

import soundfile as sf

from meterlab import cli
from meterlab.config import DEFAULT_CLASSES
from meterlab.data.build.corpus import build_corpus
from meterlab.data.build.corpus.bad_files import write_bad_files
from meterlab.thirdparty import ffmpeg

#: (extension, soundfile format, subtype) the good clips are written in, in turn; no
#: format: encoded by ffmpeg.
ENCODINGS = ((".wav", "WAV", "PCM_16"), (".flac", "FLAC", "PCM_16"),
             (".ogg", "OGG", "VORBIS"), (".mp3", "MP3", "MPEG_LAYER_III"), (".m4a", None, None))
FOLDERS = ("", "live", "live/2019", "demos")


def main(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--good", type=int, default=40, help="good clips (spread over 3,4,5,7)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per good clip")
    parser.add_argument("--seed", type=int, default=11)
    cli.add_worker_arguments(parser, default=2)
    args = parser.parse_args(argv)

    per_class = max(3, -(-args.good // len(DEFAULT_CLASSES)))
    with tempfile.TemporaryDirectory() as scratch:
        manifest = build_corpus(scratch, per_class, args.duration, DEFAULT_CLASSES,
                                seed=args.seed, **cli.worker_options(args))
        with open(manifest, newline="") as handle:
            clips = [Path(scratch) / row["path"] for row in csv.DictReader(handle)]
        for index, clip in enumerate(clips[: args.good]):
            extension, kind, subtype = ENCODINGS[index % len(ENCODINGS)]
            target = args.out / FOLDERS[index % len(FOLDERS)] / (clip.stem + extension)
            target.parent.mkdir(parents=True, exist_ok=True)
            if kind is None:
                ffmpeg.encode(clip, target)
            else:
                audio, rate = sf.read(clip)
                sf.write(target, audio, rate, format=kind, subtype=subtype)
    bad = write_bad_files(args.out / "bad")
    print(f"{min(args.good, len(clips))} good and {len(bad)} bad files in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
