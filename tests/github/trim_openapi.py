"""Extract the operations autoopt's GitHub forge uses from GitHub's OpenAPI description.

Usage (from the repository root, after ``npm pack @octokit/openapi`` and unpacking it)::

    python tests/github/trim_openapi.py package/generated/api.github.com.json

writes ``tests/github/openapi-subset.json``: the ``paths`` and methods listed in ``OPERATIONS``
plus every ``components`` entry they reference, followed recursively. The result is what the
test server (``tests/github/server.py``) checks every request against.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

#: (path template, method): every call ``autoopt.gitops.github.GitHubForge`` can make
#: (the check runs: ``autoopt review``).
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("/repos/{owner}/{repo}/pulls", "get"),
    ("/repos/{owner}/{repo}/pulls", "post"),
    ("/repos/{owner}/{repo}/pulls/{pull_number}", "patch"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "get"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/comments", "post"),
    ("/repos/{owner}/{repo}/issues/comments/{comment_id}", "patch"),
    ("/repos/{owner}/{repo}/issues/{issue_number}/labels", "post"),
    ("/repos/{owner}/{repo}/statuses/{sha}", "post"),
    # the dashboard issue, comment commands (issue #12, wt-bot)
    ("/repos/{owner}/{repo}/pulls/{pull_number}", "get"),
    ("/repos/{owner}/{repo}/issues", "get"),
    ("/repos/{owner}/{repo}/issues", "post"),
    ("/repos/{owner}/{repo}/issues/{issue_number}", "patch"),
    ("/repos/{owner}/{repo}/collaborators/{username}/permission", "get"),
    ("/repos/{owner}/{repo}/check-runs", "post"),
    ("/repos/{owner}/{repo}/check-runs/{check_run_id}", "patch"),
    ("/repos/{owner}/{repo}/commits/{ref}/check-runs", "get"),
)

OUTPUT = Path(__file__).with_name("openapi-subset.json")


def _refs(node: Any) -> set[str]:
    """Every ``$ref`` string anywhere inside ``node``."""
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        found = set()
        for item in node:
            found |= _refs(item)
        return found
    return set()


def _resolve(spec: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for path, method in OPERATIONS:
        paths.setdefault(path, {})[method] = spec["paths"][path][method]
    components: dict[str, dict[str, Any]] = {}
    pending = sorted(_refs(paths))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, section, name = ref.split("/", 3)
        node = _resolve(spec, ref)
        components.setdefault(section, {})[name] = node
        pending.extend(sorted(_refs(node) - seen))
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec.get("servers", []),
        "paths": paths,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    subset = trim(spec)
    OUTPUT.write_text(json.dumps(subset, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    count = sum(len(v) for v in subset["components"].values())
    print(f"wrote {OUTPUT} ({len(OPERATIONS)} operations, {count} components)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
