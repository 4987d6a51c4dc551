"""cuecast: routine scripts in, exactly timed narrated sessions out."""

__version__ = "0.1.0"
