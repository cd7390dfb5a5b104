"""Finding elements of an ISO 20022 document by local name, whatever its namespace version.

The camt reader builds its tree with every tag already its local name (camt._Lines), so the
lookups here are ElementTree's own, done in C: an element has a few children, and a camt.054
of 100,000 payments asks for about four million of them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET


def local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def children(element: ET.Element, name: str) -> list[ET.Element]:
    return element.findall(name)


def find(element: ET.Element, *path: str) -> ET.Element | None:
    found: ET.Element | None = element
    for name in path:
        if found is None:
            return None
        found = found.find(name)
    return found


def every(element: ET.Element, *path: str) -> list[ET.Element]:
    parents = [element]
    for name in path:
        parents = [child for parent in parents for child in parent.findall(name)]
    return parents


def text(element: ET.Element, *path: str) -> str:
    found = find(element, *path)
    value = found.text if found is not None else None
    return value.strip() if value else ""
