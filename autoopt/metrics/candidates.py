"""Which params each version ran with, from the texts of a config file over its history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from ruamel.yaml.error import YAMLError

from autoopt.spec.models import Params
from autoopt.spec.yamlio import load_text, to_plain


def _releases(spec: Any) -> Iterable[tuple[Any, Any]]:
    if not isinstance(spec, dict):
        return
    for key in ("previous", "stable", "canary"):
        release = spec.get(key)
        if isinstance(release, dict):
            yield release.get("version"), release.get("params")


def candidates_from_texts(texts: Iterable[str]) -> dict[str, Params]:
    """version → params for every release (stable, canary, previous) in any of ``texts``.

    ``texts`` are LLMConfig documents oldest first; when a version appears with different
    params, the newest text wins. Texts or releases that do not parse are skipped: history
    may hold documents written for an older schema.
    """
    found: dict[str, Params] = {}
    for text in texts:
        try:
            plain = to_plain(load_text(text))
        except (YAMLError, ValueError):
            continue
        if not isinstance(plain, dict) or plain.get("kind") != "LLMConfig":
            continue
        for version, params in _releases(plain.get("spec")):
            if not isinstance(version, str | int | float) or not isinstance(params, dict):
                continue
            try:
                found[str(version)] = Params.model_validate(params)
            except ValidationError:
                continue
    return found
