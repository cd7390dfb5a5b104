"""The registry of codes (importer/problems.py) is the one place a code is written, and it
agrees with the README's table and with the outcome every module gives a row with that code."""

from __future__ import annotations

import ast
import importlib
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from importer import problems
from importer.models import Outcome
from tests.conftest import ROOT

PACKAGE = ROOT / "importer"
README = ROOT / "README.md"

# Codes the registry has and the README's table does not list yet: the rows proposed for it
# are in the branch's report. Once the README lists them, this set is emptied.
NOT_IN_README_YET: frozenset[str] = frozenset()  # every code has its row in the README
# A code written as a string outside the registry, in files another part of issue 16 is
# rewriting (the command line): each one moves to a registry constant there.
WRITTEN_ELSEWHERE: frozenset[tuple[str, str]] = frozenset()


def readme_codes() -> dict[str, tuple[str, str]]:
    """code -> (outcome, what to do), from every README table headed code | outcome | ..."""
    found: dict[str, tuple[str, str]] = {}
    header: list[str] = []
    for line in README.read_text("utf-8").splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not header:
            header = cells
        elif header[:3] == ["code", "outcome", "what to do"] and not set(line) <= set("|-: "):
            for code in re.findall(r"`([^`]+)`", cells[0]):
                assert code not in found, f"README lists {code} twice"
                found[code] = (cells[1], cells[2])
    return found


def test_the_readme_table_is_read() -> None:
    codes = readme_codes()
    assert codes["bad-reference"] == ("invalid", "correct the reference from the invoice")
    assert codes["status-N"][0] == "rejected"
    assert len(codes) > 50


def test_every_code_in_the_readme_is_registered_with_its_outcome_and_advice() -> None:
    for code, (outcome, todo) in readme_codes().items():
        entry = problems.CODES.get(code)
        assert entry is not None, f"README lists {code}, the registry does not"
        assert (entry.outcome.value, entry.todo) == (outcome, todo), code


def test_every_registered_code_is_in_the_readme() -> None:
    missing = set(problems.CODES) - set(readme_codes())
    assert missing == NOT_IN_README_YET, "README's table and NOT_IN_README_YET disagree"


def test_each_entry_is_one_line_of_advice_and_codes_are_unique() -> None:
    for name, entry in problems.CODES.items():
        assert entry.name == name
        assert re.fullmatch(r"[a-z]+(-[a-zN0-9]+)*", name), name
        assert entry.todo, name
        assert "\n" not in entry.todo, name
    constants = [v for k, v in vars(problems).items() if k.isupper() and isinstance(v, str)]
    codes = [c for c in constants if c in problems.CODES]
    assert len(codes) == len(set(codes)) == len(problems.CODES)


def test_a_family_resolves_each_of_its_codes() -> None:
    assert problems.status(10) == "status-10"
    family = problems.lookup("status-10")
    assert family is not None
    assert family.name == "status-N"
    assert family.outcome is Outcome.REJECTED
    assert problems.lookup("status-x") is None
    assert problems.lookup("no-such-code") is None
    assert problems.lookup("bad-reference") is problems.CODES["bad-reference"]


def test_the_attention_set() -> None:
    """Rejected, invalid and unknown rows need the accountant; of the others only a posted
    payment whose credit note is still open does."""
    assert {problems.CREDIT_NOTE_OPEN} == problems.ATTENTION_CODES
    attention = {c.name for c in problems.CODES.values() if c.needs_attention}
    needing = {c.name for c in problems.CODES.values() if c.outcome in problems.NEEDS_WORK}
    assert attention == needing | {problems.CREDIT_NOTE_OPEN}
    assert problems.to_act_on(Outcome.POSTED, problems.CREDIT_NOTE_OPEN)
    assert not problems.to_act_on(Outcome.POSTED, problems.REGISTERED)
    assert not problems.to_act_on(Outcome.SKIPPED, problems.OUTGOING)
    assert problems.to_act_on(Outcome.UNKNOWN, problems.NO_ANSWER)


@pytest.mark.parametrize(
    ("answered", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (Decimal("0.01"), Decimal("0.01")),
        (3, Decimal(3)),
        ("0.00", None),
        ("-1", None),
        ("", None),
        ("abc", None),
        ("NaN", None),
        (True, None),
        (None, None),
    ],
)
def test_unfocused_is_money_above_zero(answered: object, expected: Decimal | None) -> None:
    assert problems.unfocused({"unfocused": answered}) == expected


class _Sample(BaseModel):
    name: str
    count: int

    @field_validator("name")
    @classmethod
    def _short(cls, value: str) -> str:
        if len(value) > 3:
            raise ValueError("the name is too long")
        return value


def test_a_pydantic_error_reads_as_one_refusal() -> None:
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate({"name": "long", "count": 1})
    refused = problems.refusal(caught.value)
    assert refused.location == ("name",)
    assert refused.where == "name"
    assert refused.kind == "value_error"
    assert refused.message == "Value error, the name is too long"
    assert refused.why == "the name is too long"
    assert refused.value == "long"
    with pytest.raises(ValidationError) as caught:
        _Sample.model_validate({"name": "a"})
    missing = problems.refusal(caught.value)
    assert (missing.where, missing.kind) == ("count", "missing")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    env: str = "fi-test"
    rate: int = 1

    @field_validator("env")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in ("fi-test", "fi-prod"):
            raise ValueError(f"is not one of 'fi-test', 'fi-prod' (got {value!r})")
        return value


def _refused(model: type[BaseModel], data: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return caught.value


def test_one_translation_words_every_pydantic_error() -> None:
    def keys(error: problems.Refusal) -> list[str]:
        return ["env", "rate"]

    def keyed(error: problems.Refusal) -> bool:
        return True

    config = {"keys": keys, "keyed": keyed}
    # An unknown key is answered with the keys the table takes, and shown with its value.
    extra = _refused(_Table, {"colour": "red"})
    assert problems.explain(extra, "the top level", **config) == (
        "colour = 'red': not a setting; the settings are env, rate"
    )
    # A message that quotes the value already does not get it twice; "is ..." reads on.
    bad = _refused(_Table, {"env": "fi-prd"})
    assert problems.explain(bad, "the top level", **config) == (
        "env is not one of 'fi-test', 'fi-prod' (got 'fi-prd')"
    )
    wrong = _refused(_Table, {"rate": "x"})
    assert problems.explain(wrong, "the top level", **config).startswith("rate = 'x': Input ")
    # A profile's words are pydantic's own; an error about the whole file names the file.
    long = _refused(_Sample, {"name": "long", "count": 1})
    explained = problems.explain(long, "the file", pydantic_words=True)
    assert explained == "name: Value error, the name is too long"
    whole = _refused(_Sample, [])
    assert problems.explain(whole, "the file").startswith("the file: Input should be")
    # A payment has no place to name: the words alone.
    assert problems.explain(long, pydantic_words=True) == "Value error, the name is too long"
    assert problems.explain(long) == "the name is too long"


def test_every_pydantic_error_goes_through_the_one_translation() -> None:
    """No module reads a ValidationError itself (`.errors()`): each handler hands it to
    problems.explain (or problems.refusal, the reading explain is made of)."""
    found: list[str] = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            call = node.func if isinstance(node, ast.Call) else None
            if isinstance(call, ast.Attribute) and call.attr == "errors":
                found.append(f"{path.name}:{node.lineno}: .errors()")
            if not (isinstance(node, ast.ExceptHandler) and node.type is not None):
                continue
            if "ValidationError" not in ast.unparse(node.type):
                continue
            called = {
                call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
                for handler in node.body
                for call in ast.walk(handler)
                if isinstance(call, ast.Call)
            }
            if not called & {"explain", "refusal"}:
                found.append(f"{path.name}:{node.lineno}: translated by hand")
    assert found == []


# --- every code a module gives comes from the registry, with the registry's outcome ---------

# Calls that make a row's result or problem, and the outcome a call to each means when the
# call does not name one (a field's problem always ends the row invalid).
MAKERS: dict[str, Outcome | None] = {
    "RowResult": None,
    "Verdict": None,
    "_row": None,
    "_result": None,
    "Problem": Outcome.INVALID,
    "FieldError": Outcome.INVALID,
    "_invalid": Outcome.INVALID,
    "_skipped": Outcome.SKIPPED,
}


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name not in ("problems.py", "__main__.py"))


def _module(path: Path) -> Any:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return importlib.import_module(".".join(p for p in parts if p != "__init__"))


def _value(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """What a name, `problems.NAME`, `Outcome.X` or literal in a call stands for."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        owner = namespace.get(node.value.id)
        return getattr(owner, node.attr, None)
    return None


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _code_like(value: object) -> bool:
    return isinstance(value, str) and problems.lookup(value) is not None


def test_no_module_writes_a_code_as_a_string() -> None:
    """A code literal in a call that makes a result, in `x.code = ...` or `x.code == ...`,
    or any hyphenated string equal to a code: each must be a registry constant instead."""
    found = []
    for path in sources():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            literals: list[ast.expr] = []
            if isinstance(node, ast.Call) and _name(node) in MAKERS:
                literals = [*node.args, *(k.value for k in node.keywords)]
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Attribute) and t.attr == "code" for t in node.targets
            ):
                literals = [node.value]
            elif isinstance(node, ast.Compare) and any(
                isinstance(n, ast.Attribute) and n.attr == "code"
                for n in [node.left, *node.comparators]
            ):
                literals = [node.left, *node.comparators]
                literals += [
                    e for n in node.comparators if isinstance(n, ast.Tuple) for e in n.elts
                ]
            for literal in literals:
                if isinstance(literal, ast.JoinedStr) and not isinstance(node, ast.Call):
                    found.append(f"{where}:{literal.lineno}: a code built from an f-string")
                elif (
                    isinstance(literal, ast.Constant)
                    and _code_like(literal.value)
                    and (where, literal.value) not in WRITTEN_ELSEWHERE
                ):
                    found.append(f"{where}:{literal.lineno}: {literal.value!r}")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "-" in node.value
                and _code_like(node.value)
                and (where, node.value) not in WRITTEN_ELSEWHERE
            ):
                found.append(f"{where}:{node.lineno}: {node.value!r}")
    assert sorted(set(found)) == []


def test_every_code_a_module_gives_is_registered_with_the_outcome_it_gives() -> None:
    """Each call that makes a result or a problem names a registered code, and the outcome
    the call gives (or means) is the registry's outcome for that code."""
    checked = 0
    problems_found = []
    for path in sources():
        where = str(path.relative_to(ROOT))
        namespace = vars(_module(path))
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call) or _name(node) not in MAKERS:
                continue
            values = [_value(arg, namespace) for arg in node.args]
            codes = [v for v in values if isinstance(v, str) and problems.lookup(v)]
            given = [v for v in values if isinstance(v, Outcome)]
            outcome = given[0] if given else MAKERS[_name(node)]
            for code in codes:
                entry = problems.lookup(code)
                assert entry is not None
                checked += 1
                if outcome is not None and entry.outcome is not outcome:
                    problems_found.append(f"{where}:{node.lineno}: {code} {outcome.value}")
    assert problems_found == []
    assert checked > 50  # the scan sees the calls it is meant to check


def test_an_outcome_and_code_set_together_agree_with_the_registry() -> None:
    """`result.outcome, result.code = Outcome.X, CODE` (answered.py) is checked as calls are."""
    pairs = []
    for path in sources():
        namespace = vars(_module(path))
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)):
                continue
            target = node.targets[0]
            names = [getattr(t, "attr", "") for t in getattr(target, "elts", [])]
            if names == ["outcome", "code"]:
                outcome, code = (_value(v, namespace) for v in node.value.elts)
                pairs.append((outcome, code))
    assert (Outcome.POSTED, problems.REGISTERED) in pairs
    for outcome, code in pairs:
        entry = problems.lookup(code)
        assert entry is not None, code
        assert entry.outcome is outcome, code
