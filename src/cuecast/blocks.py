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
"""

from __future__ import annotations

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
