"""The ``aio-eventstore`` command line (also ``python -m aio_eventstore``).

Commits go to stdout as JSON lines, everything else to stderr. An expected error ends the
command with one line on stderr and the exit status that ``_exit.exit_status``, the
one mapping of errors to statuses, gives it. The modules, from the top down:

- ``_main``: :func:`main`, which parses, runs a subcommand and turns its error into a status;
- ``_parser``: the global options, and every group's commands in the order ``--help`` lists;
- ``_demo``, ``_tables``, ``_commits``, ``_stream``, ``_backup``: the subcommands, each
  declared once, by its handler, with its arguments beside it;
- ``_command``: how a subcommand is declared, the types of arguments, the store they open;
- ``_jsonlines``: a commit as a line of JSON and back; ``_files``: the files lines go to and
  come from; ``_progress``: the progress bar; ``_exit``: the exit statuses.
"""

from ._main import main

__all__ = ["main"]
