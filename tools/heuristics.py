"""The core's health, as numbers anyone can rerun (issue #20): `python tools/heuristics.py [--list]`.

- **kind branches**: lines of the core (`migrator/` outside `sources/`, `export/`, `sandbox/`,
  `generate/` and `kinds.py`) that branch on a kind's name — a comparison with a kind name, a
  membership test in a literal holding one, or a dict literal keyed by kind names. Per-kind
  behaviour belongs in `kinds.py`'s declaration; each branch left must say why in a comment.
- **unused functions**: functions and methods defined in `migrator/` or `mappings/` whose name
  appears nowhere else in the product, its benchmarks, tools and docs (dunders, overrides of a
  library's hooks, click commands and pydantic validators are callers' business and are not
  counted). The sandboxes are test instruments: a test calling one of their methods is its caller.
- **ref builders**: places that write a reference `@kind:id` by hand (an f-string starting `@{`).

Exit 0 always: the numbers are for reading (the README's goals say what they should be).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from migrator.kinds import PLAN_KINDS  # noqa: E402

NAMES = frozenset(PLAN_KINDS)
NOT_CORE = ("sources", "export", "sandbox", "generate")
# Hooks a library calls by name: defined for it, never called by us.
HOOKS = frozenset(
    {
        "handle_error", "log_message", "do_GET", "do_POST", "do_PATCH", "do_DELETE", "do_PUT", "do_HEAD",
        "filter", "emit", "convert", "get_metavar", "shell_complete", "model_post_init", "format_usage",
    }
)  # fmt: skip
DECORATORS_THAT_CALL = ("command", "group", "option", "argument", "validator", "field_validator",
                        "model_validator", "field_serializer", "model_serializer", "fixture", "property",
                        "cached_property", "setter", "contextmanager")  # fmt: skip


def _python(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((REPO / folder).rglob("*.py"))


def _core(path: Path) -> bool:
    relative = path.relative_to(REPO / "migrator").parts
    return relative[0] not in NOT_CORE and relative != ("kinds.py",)


def _is_kind(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES


def _holds_kind(node: ast.AST) -> bool:
    return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and any(_is_kind(item) for item in node.elts)


def kind_branches() -> list[str]:
    """`file:line: source` of every line of the core that branches on a kind's name."""
    found: dict[tuple[Path, int], str] = {}
    for path in _python("migrator"):
        if not _core(path):
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            hit = False
            if isinstance(node, ast.Compare):
                hit = any(_is_kind(part) or _holds_kind(part) for part in (node.left, *node.comparators))
            elif isinstance(node, ast.Dict):
                hit = any(key is not None and _is_kind(key) for key in node.keys)
            elif isinstance(node, ast.match_case):
                hit = _is_kind(getattr(node.pattern, "value", None)) if hasattr(node.pattern, "value") else False
            if hit:
                line = node.lineno if hasattr(node, "lineno") else node.pattern.lineno
                found[(path, line)] = lines[line - 1].strip()
    return [f"{p.relative_to(REPO)}:{n}: {text}" for (p, n), text in sorted(found.items())]


def _decorated_by_a_caller(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in DECORATORS_THAT_CALL:
            return True
    return False


def unused_functions() -> list[str]:
    """`file:line: name` of every function or method nobody in the product names."""
    product = list(_python("migrator", "mappings"))
    texts = {path: path.read_text(encoding="utf-8") for path in product}
    callers = [*texts.values(), *(p.read_text(encoding="utf-8") for p in _python("bench", "tools", "docs"))]
    words = _mentions(callers)
    by_tests = _mentions(p.read_text(encoding="utf-8") for p in _python("tests"))
    unused = []
    for path, text in texts.items():
        instrument = path.is_relative_to(REPO / "migrator" / "sandbox")
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            name = node.name
            if name.startswith("__") or name in HOOKS or _decorated_by_a_caller(node) or name.startswith("test_"):
                continue
            if words.get(name, 0) + (by_tests.get(name, 0) if instrument else 0) <= 1:  # only its definition
                unused.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}")
    return unused


def _mentions(texts: Iterable[str]) -> dict[str, int]:
    """How often each identifier appears in `texts`."""
    words: dict[str, int] = {}
    for text in texts:
        for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text):
            words[word] = words.get(word, 0) + 1
    return words


def ref_builders() -> list[str]:
    """`file:line: source` of every f-string that writes `@kind:id` by hand."""
    found = []
    for path in _python("migrator", "mappings"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"""f["']@\{""", line):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list every place, not only the counts")
    args = parser.parse_args()
    for title, places in (
        ("kind branches in the core", kind_branches()),
        ("functions defined and never used", unused_functions()),
        ("places that write '@kind:id' by hand", ref_builders()),
    ):
        print(f"{len(places):4d}  {title}")
        if args.list:
            for place in places:
                print(f"        {place}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
