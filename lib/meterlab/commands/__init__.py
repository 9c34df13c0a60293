"""The ``meterlab`` command's subcommands: each module has ``configure(parser)``, which
adds its arguments, and ``run(args, parser)``, which does the work; the scripts under
``scripts/`` and the console command both call them."""
