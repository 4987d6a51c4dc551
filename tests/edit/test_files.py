"""The editor's folder: names that stay inside it, exact saves, conflicts, undo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cuecast.edit.files import Conflict, Folder, NotFound, PathRefused, version_of
from cuecast.errors import InputError

TEXT = "# my routine\ntitle: Test   # kept\nsteps:\n  - say: Hello.\n"


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    root = tmp_path / "studio"
    (root / "sub").mkdir(parents=True)
    (root / "a.yaml").write_text(TEXT)
    (root / "sub" / "b.yml").write_text(TEXT)
    (root / "series.yaml").write_text("series: {title: S}\ntracks:\n  - script: a.yaml\n")
    (root / "notes.txt").write_text("not a script")
    (root / ".hidden.yaml").write_text(TEXT)
    (tmp_path / "outside.yaml").write_text("title: secret\n")
    os.symlink(tmp_path / "outside.yaml", root / "link-out.yaml")
    os.symlink(root / "a.yaml", root / "link-in.yaml")
    os.symlink(tmp_path, root / "up")
    return Folder(root)


def test_lists_routines_and_catalogues_only(folder: Folder) -> None:
    listed = {(e.name, e.kind) for e in folder.list()}
    assert listed == {("a.yaml", "routine"), ("sub/b.yml", "routine"),
                      ("series.yaml", "catalogue"), ("link-in.yaml", "routine")}


@pytest.mark.parametrize("name", [
    "../outside.yaml", "/etc/passwd", "sub/../../outside.yaml", "link-out.yaml",
    "up/outside.yaml", "notes.txt", ".hidden.yaml", "sub/./b.yml", "a.yaml\x00.txt",
    "sub\\b.yml", "", "C:/x.yaml", "%2e%2e/outside.yaml", None, 3,
])  # fmt: skip
def test_names_that_leave_the_folder_or_are_not_scripts_are_refused(folder: Folder,
                                                                     name: object) -> None:
    with pytest.raises((PathRefused, NotFound)):
        folder.open(name)
    with pytest.raises((PathRefused, NotFound, Conflict)):
        folder.save(name, "title: x\n", version_of(b""))


def test_save_writes_exactly_the_text_and_refuses_a_changed_file(folder: Folder) -> None:
    opened = folder.open("a.yaml")
    typed = opened.text.replace("Hello.", "Hello there.") + "  # a comment\r\nlast: no newline"
    version = folder.save("a.yaml", typed, opened.version)
    assert (folder.root / "a.yaml").read_bytes() == typed.encode()
    assert version == version_of(typed.encode())

    (folder.root / "a.yaml").write_text("title: changed elsewhere\n")
    with pytest.raises(Conflict) as caught:
        folder.save("a.yaml", "title: mine\n", version)
    assert caught.value.disk_text == "title: changed elsewhere\n"
    assert (folder.root / "a.yaml").read_text() == "title: changed elsewhere\n"
    folder.save("a.yaml", "title: mine\n", caught.value.disk_version)  # the user chose theirs
    assert (folder.root / "a.yaml").read_text() == "title: mine\n"


def test_undo_puts_back_what_the_last_save_replaced(folder: Folder) -> None:
    opened = folder.open("a.yaml")
    folder.save("a.yaml", "title: new\n", opened.version)
    assert folder.can_undo("a.yaml")
    assert folder.undo("a.yaml").text == TEXT
    assert (folder.root / "a.yaml").read_text() == TEXT
    with pytest.raises(InputError, match="nothing to undo"):
        folder.undo("a.yaml")


def test_new_duplicate_rename(folder: Folder) -> None:
    made = folder.create("fresh.yaml")
    assert "title:" in made.text and made.kind == "routine"
    with pytest.raises(InputError, match="already exists"):
        folder.create("a.yaml")
    copy = folder.duplicate("a.yaml", "sub/copy.yaml")
    assert copy.text == TEXT
    moved = folder.rename("sub/copy.yaml", "moved.yaml")
    assert moved.text == TEXT and not (folder.root / "sub" / "copy.yaml").exists()
    with pytest.raises(InputError, match="already exists"):
        folder.rename("moved.yaml", "a.yaml")
    with pytest.raises(PathRefused):
        folder.rename("moved.yaml", "../escaped.yaml")
    assert (folder.root / "moved.yaml").exists()
