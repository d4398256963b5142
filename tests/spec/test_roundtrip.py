"""Loading then dumping any shipped document gives the same bytes, comments included."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoopt.spec.load import load_string
from autoopt.spec.yamlio import dump_text, load_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(
    p
    for folder in ("examples", "policies")
    for p in (ROOT / folder).rglob("*")
    if p.suffix in (".yaml", ".yml") and "metrics" not in p.parts
)


def test_there_are_documents_to_check() -> None:
    assert len(SHIPPED) >= 6


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_document_round_trips_byte_for_byte(path: Path) -> None:
    text = path.read_text()
    assert dump_text(load_text(text)) == text


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_document_is_valid(path: Path) -> None:
    loaded = load_string(path.read_text(), path=path)
    assert loaded.document.metadata.name


names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3)),
    st.booleans(),
    names,
)
comments = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9 ,.]{1,30}", fullmatch=True))


@st.composite
def block_document(draw: st.DrawFn) -> str:
    """A block-style document in the project's layout: 2-space maps, `  - ` lists, comments."""
    lines = ["# generated", "apiVersion: autoopt/v1", "kind: LLMConfig"]
    for key in draw(st.lists(names, min_size=1, max_size=5, unique=True)):
        comment = draw(comments)
        suffix = f"  # {comment}" if comment else ""
        shape = draw(st.sampled_from(["scalar", "map", "list", "flow"]))
        if shape == "scalar":
            lines.append(
                f"{key}: {draw(scalars)}{suffix}".replace("True", "true").replace("False", "false")
            )
        elif shape == "map":
            lines.append(f"{key}:{suffix}")
            for sub in draw(st.lists(names, min_size=1, max_size=4, unique=True)):
                lines.append(f"  {sub}: {draw(names)}")
        elif shape == "list":
            lines.append(f"{key}:{suffix}")
            lines.extend(f"  - {item}" for item in draw(st.lists(names, min_size=1, max_size=4)))
        else:
            items = draw(st.lists(st.integers(0, 100), min_size=1, max_size=5))
            lines.append(f"{key}: [{', '.join(map(str, items))}]{suffix}")
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(block_document())
def test_generated_documents_round_trip(text: str) -> None:
    assert dump_text(load_text(text)) == text
