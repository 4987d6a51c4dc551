"""MP3 by pieces: the mix cut on the frame grid (``cuts``), each piece
encoded once and kept (``store``), joined into one file (``mp3``)."""

from __future__ import annotations

from cuecast.pieces.cuts import Cutter, Piece, piece_key
from cuecast.pieces.mp3 import Stats, write_pieced
from cuecast.pieces.store import PieceStore

__all__ = ["Cutter", "Piece", "PieceStore", "Stats", "piece_key", "write_pieced"]
