"""labels.txt files that load but would mislead: not UTF-8, or a label named twice."""

from __future__ import annotations

from livepredict.core.labels import read_labels_checked


def test_a_clean_file_has_no_warning(tmp_path):
    p = tmp_path / "labels.txt"
    p.write_text("0 cat\n1 dog\n", encoding="utf-8")
    assert read_labels_checked(p) == (["cat", "dog"], [])


def test_a_bom_is_not_part_of_the_first_label(tmp_path):
    p = tmp_path / "labels.txt"
    p.write_bytes("\ufeffcat\ndog\n".encode())
    assert read_labels_checked(p) == (["cat", "dog"], [])


def test_latin1_loads_with_a_warning(tmp_path):
    p = tmp_path / "labels.txt"
    p.write_bytes("café\nthé\n".encode("latin-1"))
    labels, warnings = read_labels_checked(p)
    assert labels == ["caf\ufffd", "th\ufffd"]
    assert len(warnings) == 1 and "is not UTF-8" in warnings[0]


def test_a_label_named_twice_is_a_warning(tmp_path):
    p = tmp_path / "labels.txt"
    p.write_text("cat\ndog\ncat\nbird\ndog\n", encoding="utf-8")
    labels, warnings = read_labels_checked(p)
    assert labels == ["cat", "dog", "cat", "bird", "dog"]
    assert warnings == ["labels.txt names 'cat', 'dog' more than once, so those classes cannot be told apart; "
                        "give each class its own name."]
