"""pieces/store.py: a render that only read pieces does not list the cache
to trim it (a large cache's listing costs more than such a render); one
that saved a piece trims to the budget."""

from __future__ import annotations

from unittest import mock

from cuecast.pieces import PieceStore


def test_only_a_store_that_saved_trims(tmp_path, monkeypatch):
    store = PieceStore(tmp_path)
    for i in range(4):
        store.save(f"{i:064x}", bytes(1000))
    monkeypatch.setenv("CUECAST_PIECE_CACHE_MB", "0.002")  # 2 entries' worth
    reader = PieceStore(tmp_path)
    assert reader.load(f"{1:064x}") == bytes(1000)
    with mock.patch.object(PieceStore, "entries", side_effect=AssertionError("listed")):
        assert reader.trim_if_grown() == 0
    assert store.trim_if_grown() == 2
    assert store.info()[0] == 2
    assert store.trim_if_grown() == 0  # nothing saved since
