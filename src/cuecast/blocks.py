"""Blocks of the streamed mix, and silence that costs nothing.

A block is a one-dimensional float32 array of samples at ``SAMPLE_RATE``.
Where no clip sounds (most of a session of long holds), ``mix`` gives
``silence(n)``: one zero repeated by numpy's broadcasting (stride 0, no
memory, read-only). Anything may read it as the zeros it is; what
touches every sample may skip it whole (``is_silence``): the encoder's
gain and clipping (``ffmpeg.as_pcm``), the piece cutter's look at every
slot (``pieces/cuts.py``), so a session's silence costs next to nothing
between the mix and the joined MP3. A silent block cannot be written to:
copy it first (``np.array``), as for any block one did not make.

A stream of the mix (``Stream``) may also give a ``Stretch`` in place of
some of its blocks: samples not made yet, named by what makes them, so
that what reads the stream and knows what those samples give (the MP3
pieces they are cut into: ``pieces/stretches.py``) need not make them.
``flat`` makes every stretch, for what needs the samples.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

_ZERO = np.float32(0.0)


def silence(n: int) -> np.ndarray:
    """``n`` samples of digital silence (float32 zeros, read-only, no memory)."""
    return np.broadcast_to(_ZERO, (n,))


def is_silence(block: np.ndarray) -> bool:
    """Whether ``block`` is a ``silence`` block (a check of its layout, not
    of its samples: a block of zeros that was mixed is not)."""
    return (isinstance(block, np.ndarray) and block.ndim == 1 and block.size > 1
            and block.strides[0] == 0 and block.dtype == np.float32
            and not block.flags.writeable and bool(block[0] == 0))  # fmt: skip


@dataclass(frozen=True)
class Stretch:
    """Samples ``[start, stop)`` of a stream, not made yet. ``recipe`` names
    what makes them and what precedes them from ``head_start`` (two
    stretches with the same recipe are the same samples there), or is None
    (nothing names them). ``blocks()`` makes them, in blocks, once;
    ``head()`` makes the samples ``[head_start, start)`` before them, for
    what reads the stream and did not make those (the stretch before was
    not made); ``next_head`` is where the stretch after it begins its own
    head (``stop`` if none)."""

    start: int
    stop: int
    recipe: str | None
    blocks: Callable[[], Iterator[np.ndarray]]
    head_start: int = -1
    """-1: ``start`` (no head)."""
    head: Callable[[], Iterator[np.ndarray]] | None = None
    next_head: int = -1
    """-1: ``stop``."""
    ahead: tuple[str | None, ...] = ()
    """The recipes of the stretches right after it, in order (a few)."""

    def __post_init__(self) -> None:
        if self.head_start < 0:
            object.__setattr__(self, "head_start", self.start)
        if self.next_head < 0:
            object.__setattr__(self, "next_head", self.stop)

    def through(self, step: str, fn: Callable[[np.ndarray], np.ndarray],
                known: dict[str, str] | None = None) -> Stretch:  # fmt: skip
        """The stretch with ``fn`` applied to each block (a change of each
        sample alone, whatever the blocks' sizes); ``step`` names ``fn`` and
        its settings in the recipe (``known``: recipes named so, kept)."""
        made, head = self.blocks, self.head
        kept = {} if known is None else known

        def named(recipe: str | None) -> str | None:
            if recipe is None:
                return None
            if recipe not in kept:
                kept[recipe] = hashlib.sha256(f"{recipe}\n{step}".encode()).hexdigest()
            return kept[recipe]

        return replace(self, recipe=named(self.recipe), blocks=lambda: (fn(b) for b in made()),
                       head=None if head is None else (lambda: (fn(b) for b in head())),
                       ahead=tuple(named(r) for r in self.ahead))


Stream = Iterable["np.ndarray | Stretch"]
"""The mix as blocks, some of it perhaps as ``Stretch``es."""


def flat(stream: Stream) -> Iterator[np.ndarray]:
    """The stream's blocks, every stretch made."""
    for item in stream:
        if isinstance(item, Stretch):
            yield from item.blocks()
        else:
            yield item
