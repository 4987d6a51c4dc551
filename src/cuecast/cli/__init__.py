"""The command line: parse options, call the library, map errors to exit codes.

``base`` holds the group and the error handling; each module below adds its
commands to ``main`` when imported. A new command goes in a module of its own
here and is imported below.
"""

from cuecast.cli import (
    commands,  # noqa: F401  (registers the commands)
    edit,  # noqa: F401
    lines,  # noqa: F401
    publish,  # noqa: F401
    serve,  # noqa: F401
    voices,  # noqa: F401
    voices_get,  # noqa: F401
)
from cuecast.cli.base import format_table, main

__all__ = ["main", "format_table"]

if __name__ == "__main__":  # pragma: no cover
    main()
