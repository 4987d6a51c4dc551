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


def test_a_folder_listed_a_moment_ago_is_not_listed_again_while_within_the_budget(
        tmp_path, monkeypatch):
    """A server's sessions each save a few pieces: listing a folder of
    thousands after each cost more than the session's levelling. Within a
    minute of a listing, what this process saved since is counted instead;
    past the budget, or a minute on, the folder is listed and trimmed."""
    monkeypatch.setenv("CUECAST_PIECE_CACHE_MB", "0.004")  # 4 entries of 1 KB and their heads
    first = PieceStore(tmp_path)
    first.save(f"{0:064x}", bytes(1000))
    assert first.trim_if_grown() == 0  # listed: 1 entry
    later = PieceStore(tmp_path)  # the next session's store
    for i in range(1, 4):
        later.save(f"{i:064x}", bytes(1000))
    with mock.patch.object(PieceStore, "entries", side_effect=AssertionError("listed")):
        assert later.trim_if_grown() == 0  # 4 entries known: within the budget
    over = PieceStore(tmp_path)
    for i in range(4, 6):
        over.save(f"{i:064x}", bytes(1000))
    assert over.trim_if_grown() == 2  # 6 known: listed and trimmed to 4
    assert over.info()[0] == 4
    again = PieceStore(tmp_path)
    again.save(f"{6:064x}", bytes(1000))
    monkeypatch.setattr("cuecast.diskstore.RELIST_S", 0.0)  # a minute on: listed whatever is known
    assert again.trim_if_grown() == 1
    assert again.info()[0] == 4
