"""Finding elements of an ISO 20022 document by local name, whatever its namespace version."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if local(child) == name]


def find(element: ET.Element, *path: str) -> ET.Element | None:
    current: ET.Element | None = element
    for name in path:
        if current is None:
            return None
        current = next((c for c in current if local(c) == name), None)
    return current


def every(element: ET.Element, *path: str) -> list[ET.Element]:
    parents = [element]
    for name in path:
        parents = [child for parent in parents for child in children(parent, name)]
    return parents


def text(element: ET.Element, *path: str) -> str:
    found = find(element, *path)
    return (found.text or "").strip() if found is not None else ""
