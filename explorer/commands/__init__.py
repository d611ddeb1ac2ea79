"""Command-line subcommands, one module each, with ``add_parser(subparsers)`` and
``run(args) -> int``; :mod:`explorer.cli` registers them."""
