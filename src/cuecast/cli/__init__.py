"""The command line: parse options, call the library, map errors to exit codes.

``base`` holds the group and the error handling; each module below adds its
commands to ``main`` when imported. The rendering commands are imported
now; the others when one of theirs is run or the commands are listed
(``main.lazy``), so a render does not pay for importing them. A new command
goes in a module of its own here, imported below or named in ``main.lazy``.
"""

from cuecast.cli import (
    commands,  # noqa: F401  (registers the commands)
    lines,  # noqa: F401
)
from cuecast.cli.base import format_table, main


def _edit() -> None:
    from cuecast.cli import edit  # noqa: F401


def _publish() -> None:
    from cuecast.cli import publish  # noqa: F401


def _serve() -> None:
    from cuecast.cli import serve  # noqa: F401


def _voices() -> None:
    from cuecast.cli import voices, voices_get  # noqa: F401


main.lazy = {"edit": _edit, "publish": _publish, "serve": _serve, "voices": _voices}

__all__ = ["main", "format_table"]

if __name__ == "__main__":  # pragma: no cover
    main()
