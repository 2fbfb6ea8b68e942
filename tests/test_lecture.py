"""The list of lecture pages: every entry is a real page, and its sizes are the lecture data's."""

from __future__ import annotations

from pathlib import Path

import pytest

from hbviz import datasets, lecture

ROOT = Path(__file__).resolve().parents[1]


def test_every_page_exists_once_and_home_comes_first():
    paths = [p.path for p in lecture.PAGES]
    assert len(set(paths)) == len(paths) and len({p.title for p in lecture.PAGES}) == len(paths)
    assert all((ROOT / path).is_file() for path in paths)
    assert lecture.PAGES[0] is lecture.HOME and lecture.HOME.path == "pages/home.py"
    assert sorted(paths) == sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("[!_]*.py"))


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("pages/home.py", datasets.eight_schools),
        ("pages/eight_schools.py", datasets.eight_schools),
        ("pages/levels_of_pooling.py", datasets.pooling_demo),
        ("pages/free_throws.py", datasets.free_throws),
        ("pages/drug_trial.py", datasets.rat_tumor),
    ],
)
def test_groups_are_those_of_the_lecture_data(path, data):
    assert lecture.page(path).groups == len(data())


def test_sections_keep_the_order_of_the_list():
    flat = [p for pages in lecture.sections().values() for p in pages]
    assert flat == list(lecture.PAGES)


def test_an_unknown_page_is_named():
    with pytest.raises(ValueError, match=r"pages/nowhere\.py"):
        lecture.page("pages/nowhere.py")
