"""JSON with money as Decimal both ways: never through float.

The API takes `amount` as a JSON number ("710.00"). The standard encoder can only write a
Decimal by converting it to float, so numbers are written here from their exact text.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def money_text(value: Decimal) -> str:
    """Two decimals, plain notation: Decimal('7.1') -> '7.10', never '7.1E+1'."""
    return format(value.quantize(CENT), "f")


def dumps(value: Any) -> str:
    """Serialise to compact JSON, writing each Decimal as a number with two decimals."""
    if isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """Parse JSON reading every fractional number as Decimal (integers stay int)."""
    return json.loads(text, parse_float=Decimal)
