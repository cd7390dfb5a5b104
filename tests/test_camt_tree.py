"""The camt reader's tree (local names, lines of entries and payments) and the KTL reader's
remembered dates: what a faster parse must still do. From a review that attacked them."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from importer.errors import ReadError
from importer.readers import camt, ktl
from tests.test_ktl import lines, write

SAMPLE = Path(__file__).parent.parent / "sample_files" / "camt054-viitemaksut.xml"


def _read(path: Path) -> list[tuple[int, tuple[object, ...]]]:
    return [(row.line, row.cells) for row in camt.read(path).rows]


def test_the_parse_tree_goes_when_read_returns_not_at_the_next_collection() -> None:
    # A camt.054 of 100,000 payments is three million elements: the builder must not sit in
    # a cycle with the expat parser (its handlers hold the builder), or the whole tree waits
    # for the cyclic collector.
    gc.collect()
    gc.disable()
    try:
        camt.read(SAMPLE)
        alive = [o for o in gc.get_objects() if type(o).__name__ == "_Lines"]
    finally:
        gc.enable()
    assert not alive


def test_a_prefix_or_no_namespace_reads_alike_and_lines_are_where_payments_start(
    tmp_path: Path,
) -> None:
    text = SAMPLE.read_text("utf-8")
    expected = _read(SAMPLE)
    starts = [n for n, line in enumerate(text.splitlines(), 1) if "<TxDtls>" in line]
    assert [line for line, _ in expected] == starts
    prefixed = text.replace('xmlns="', 'xmlns:c="', 1).replace("<", "<c:").replace("<c:/", "</c:")
    prefixed = prefixed.replace("<c:?xml", "<?xml")
    bare = text.replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"', "", 1)
    for name, variant in (("prefixed", prefixed), ("bare", bare)):
        for end in ("\n", "\r\n", "\r"):
            path = tmp_path / f"{name}.xml"
            path.write_bytes(variant.replace("\n", end).encode("utf-8"))
            assert _read(path) == expected, (name, repr(end))


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE Document [<!ENTITY a "x">]>',
        '<!DOCTYPE Document [<!ENTITY a SYSTEM "file:///etc/passwd">]>',
        "<!DOCTYPE Document>",
    ],
)
def test_any_dtd_is_still_refused(doctype: str, tmp_path: Path) -> None:
    head, _, body = SAMPLE.read_text("utf-8").partition("?>")
    path = tmp_path / "dtd.xml"
    path.write_text(head + "?>" + doctype + body.replace("<Ustrd>", "<Ustrd>&a;", 1), "utf-8")
    with pytest.raises(ReadError, match="DTD or entities"):
        camt.read(path)


@pytest.mark.parametrize("bad", ["261301", "260230", "2611AA", "261100"])
def test_a_bad_ktl_date_is_refused_every_time_not_remembered_as_a_day(
    bad: str, tmp_path: Path
) -> None:
    records = lines()
    ktl.read(write(tmp_path, records))
    broken = records[1][:15] + bad + records[1][21:]
    path = write(tmp_path, [records[0], broken, *records[2:]])
    for _ in range(2):  # the second time after the good file's dates were remembered
        with pytest.raises(ReadError, match="line 2"):
            ktl.read(path)
