"""Print the project files behind the signals' cache versions, relative to the repository.

These, plus the signal registry (which signals exist), are what warm's work depends on:
warm's recipe writes them as a Make rule beside its stamp, so Make and the cache agree on
what is stale.

    python scripts/setup/version_sources.py                      # one file per line
    python scripts/setup/version_sources.py --rule data/stamps/warm
"""
import sys

from meterlab import cli, config
from meterlab.engine.versions import signal_sources


def main(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument("--rule", metavar="TARGET",
                        help="print a Make rule: TARGET depends on the files, and an empty "
                             "rule per file so that a deleted one re-runs TARGET")
    args = parser.parse_args(argv)
    files = sorted(path.relative_to(config.REPO_ROOT).as_posix() for path in signal_sources())
    if args.rule:
        target = args.rule.replace(" ", "\\ ")   # Make splits words on spaces
        print(f"{target}: {' '.join(files)}")
        print("".join(f"\n{path}:" for path in files).lstrip("\n"))
    else:
        print("\n".join(files))


if __name__ == "__main__":
    sys.exit(main())
