"""The ``meterlab`` console command (``pip install`` puts it on the PATH).

    meterlab predict song.wav --out p.json
    meterlab --version
"""
import argparse
import sys

from .. import __name__ as package
from . import predict

#: ``{subcommand: module}``; each module has ``configure`` and ``run`` and its docstring
#: is the subcommand's help.
SUBCOMMANDS = {"predict": predict}


def parser():
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version(package)
    except PackageNotFoundError:
        installed = "unknown (not installed)"
    top = argparse.ArgumentParser(prog="meterlab", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--version", action="version", version=f"meterlab {installed}")
    subcommands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        summary = module.__doc__.split("\n\n")[0].replace("\n", " ")
        sub = subcommands.add_parser(name, help=summary, description=module.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure(sub)
        sub.set_defaults(module=module, parser=sub)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    return args.module.run(args, args.parser)


if __name__ == "__main__":
    sys.exit(main())
