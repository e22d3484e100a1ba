#!/usr/bin/env python3
"""Checks that the crate's modules stay layered: no import cycle, no upward import.

tower-lambda is written to be read bottom-up (see the `# Layers` list in src/lib.rs): data
and rules first, then the event sources, one invocation, the drivers, and the front door. That
only holds while a module uses nothing above it and no two modules lean on each other. This
script reads every `.rs` file under `src/` and fails (exit 1) when

  1. a module is in no layer,
  2. a module uses a module of a higher layer, or
  3. modules use each other in a cycle (within one layer too).

The layers are parsed from the `# Layers` list in a comment at the top of the crate root
(`//` or `//!` lines), so the documentation and the check cannot drift: a numbered item
`// N. ...` (continued on comment lines indented by three spaces or more) puts every backticked module it names in layer N; a
module name covers its submodules. The crate root (`crate`) is always the top layer.

A module depends on what its paths name: `crate::a::b::X` (the longest prefix that is a module;
`crate` itself for an item such as a re-export in lib.rs), `super::...`, `self::...`, grouped
`use` trees, and the children it declares with `mod x;`. Comments, string and char literals and
`#[cfg(test)]` modules and imports are left out: test code is not part of the layering.

Usage: python3 .ci/check-layers.py [--graph] [SRC_DIR]    (SRC_DIR defaults to the repo's src/)
"""

import argparse
import re
import sys
from bisect import bisect_right
from collections import deque
from pathlib import Path

ROOT = ()  # the crate root's module path; shown as `crate`
CFG_TEST = r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]\s*(?:#\s*\[[^\]]*\]\s*)*(?:pub(?:\s*\([^)]*\))?\s+)?"
TEST_MOD_BLOCK = re.compile(CFG_TEST + r"mod\s+\w+\s*\{")
TEST_MOD_DECL = re.compile(CFG_TEST + r"mod\s+(\w+)\s*;")
TEST_USE = re.compile(CFG_TEST + r"use\b[^;]*;")
LITERAL = re.compile(  # whichever starts first: a comment, a (raw) string, or a char (not `'a`)
    r"//[^\n]*|/\*"
    r'|(?<!\w)b?r(#*)"[\s\S]*?"\1'
    r'|"(?:\\[\s\S]|[^"\\])*"'
    r"|'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|.)|[^\\'\n])'"
)
BLOCK_COMMENT = re.compile(r"/\*|\*/")
TOKEN = re.compile(r"\$?[A-Za-z_]\w*|::|\S")
PATH_START = {"crate", "$crate", "super", "self"}


def name(module):
    return "::".join(module) if module else "crate"


def blank(text):
    """`text` with every character but newlines turned into a space (line numbers survive)."""
    return re.sub(r"[^\n]", " ", text)


def strip_literals(src):
    """Blanks comments, string literals and char literals; keeps every newline."""
    out, pos = [], 0
    while m := LITERAL.search(src, pos):
        end = m.end()
        depth = 1 if m.group(0) == "/*" else 0  # block comments nest in Rust
        while depth and (inner := BLOCK_COMMENT.search(src, end)):
            depth, end = depth + (1 if inner.group(0) == "/*" else -1), inner.end()
        end = len(src) if depth else end
        out += [src[pos : m.start()], blank(src[m.start() : end])]
        pos = end
    return "".join(out) + src[pos:]


def strip_test_code(code):
    """Blanks `#[cfg(test)]` inline modules and imports; returns the code and the names of
    out-of-line `#[cfg(test)] mod x;` children (whose files are test code too)."""
    while m := TEST_MOD_BLOCK.search(code):
        depth, i = 1, m.end()
        while i < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            i += 1
        code = code[: m.start()] + blank(code[m.start() : i]) + code[i:]
    test_children = TEST_MOD_DECL.findall(code)
    for pattern in (TEST_MOD_DECL, TEST_USE):
        code = pattern.sub(lambda m: blank(m.group(0)), code)
    return code, test_children


def module_of(rel):
    """`lib.rs` -> (), `foo.rs` and `foo/mod.rs` -> ("foo",), `foo/bar.rs` -> ("foo", "bar")."""
    parts = list(rel.with_suffix("").parts)
    if parts == ["lib"]:
        return ROOT
    if parts[-1] == "mod":
        parts.pop()
    return tuple(parts)


def tokens(code):
    starts = [0] + [m.end() for m in re.finditer("\n", code)]
    return [(m.group(0), bisect_right(starts, m.start())) for m in TOKEN.finditer(code)]


def parse_tree(toks, j, prefix):
    """Parses a path or `use` tree starting at toks[j]; returns ([(segments, line)], next j)."""
    segs, leaves = list(prefix), []
    while j < len(toks):
        tok, line = toks[j]
        if tok == "{":
            j += 1
            while j < len(toks) and toks[j][0] != "}":
                sub, j = parse_tree(toks, j, segs)
                leaves += sub
                depth = 0  # skip `as alias` and the like, up to the next `,` or the closing `}`
                while j < len(toks) and (depth or toks[j][0] not in ",}"):
                    depth += {"{": 1, "}": -1}.get(toks[j][0], 0)
                    j += 1
                if j < len(toks) and toks[j][0] == ",":
                    j += 1
            return leaves, j + 1
        if tok[0].isalpha() or tok[0] in "_$":
            segs.append(tok)
            if j + 1 < len(toks) and toks[j + 1][0] == "::":
                j += 2
                continue
            return [(segs, line)], j + 1
        return [(segs, line)], j  # `*`, a turbofish `<`, or the path simply ends
    return [(segs, toks[-1][1])], j


def resolve(segs, here, modules):
    """The module a path names, from module path `here` (which may include inline modules)."""
    if segs[0] in ("crate", "$crate"):
        path, rest = [], segs[1:]
    else:
        path, rest = list(here), segs
        while rest and rest[0] in ("self", "super"):
            if rest[0] == "super":
                if not path:
                    return None
                path.pop()
            rest = rest[1:]
    path += [s for s in rest if s != "self"]  # `a::{self, B}` names `a`
    for k in range(len(path), -1, -1):
        if tuple(path[:k]) in modules:
            return tuple(path[:k])
    return ROOT


def scan(module, code, modules):
    """Yields (dependency, line) for every path and `mod x;` declaration in one file."""
    toks, inline, depth = tokens(code), [], 0  # inline: [(name, brace depth inside it)]
    j = 0
    while j < len(toks):
        tok, line = toks[j]
        here = module + tuple(n for n, _ in inline)
        prev = toks[j - 1][0] if j else ""
        if tok == "mod" and j + 2 < len(toks) and toks[j + 2][0] in ";{":
            child = toks[j + 1][0]
            if toks[j + 2][0] == ";" and here + (child,) in modules:
                yield here + (child,), line
            elif toks[j + 2][0] == "{":
                depth += 1
                inline.append((child, depth))
                j += 2
            j += 1
            continue
        if tok in PATH_START and j + 1 < len(toks) and toks[j + 1][0] == "::" and prev not in ("::", "in"):
            leaves, j = parse_tree(toks, j, [])
            for segs, line in leaves:
                target = resolve(segs, here, modules)
                if target is not None:
                    yield target, line
            continue
        if tok == "{":
            depth += 1
        elif tok == "}":
            if inline and inline[-1][1] == depth:
                inline.pop()
            depth -= 1
        j += 1


def comment_text(line):
    """The text of a `//!` or `//` comment line (not of a `///` item doc), else None."""
    line = line.lstrip()
    if line.startswith("//!"):
        return line[3:]
    if line.startswith("//") and not line.startswith("///"):
        return line[2:]
    return None


def parse_layers(lib_source, lib_rs, modules):
    """From the `# Layers` list of lib.rs's comments: {module or module prefix: layer}, the
    layer numbers listed, and problems with the list."""
    doc = [(no, text) for no, line in enumerate(lib_source.splitlines(), 1)
           if (text := comment_text(line)) is not None]
    start = next((k for k, (_, text) in enumerate(doc) if re.fullmatch(r"\s*#+\s*Layers\s*", text)), None)
    if start is None:
        return None
    layers, numbers, problems, item = {}, set(), [], None
    for no, text in doc[start + 1 :]:
        if text.strip().startswith("#"):
            break  # the next section
        if m := re.match(r" {0,2}(\d+)\.\s", text):
            item = int(m.group(1))
            numbers.add(item)
        elif not text.strip() or not text.startswith("   "):
            item = None
            continue
        if item is None:
            continue
        for word in re.findall(r"`([A-Za-z_]\w*(?:::\w+)*)`", text):
            key = tuple(word.split("::"))
            if word == "crate" or not any(m[: len(key)] == key for m in modules):
                continue  # not a module: prose
            if layers.get(key, item) != item:
                problems.append(f"`{word}` is listed in layers {layers[key]} and {item} ({lib_rs}:{no})")
            layers[key] = item
    return layers, numbers, problems


def layer_of(module, layers, top):
    if module == ROOT:
        return top
    for k in range(len(module), 0, -1):
        if module[:k] in layers:
            return layers[module[:k]]
    return None


def strongly_connected(graph):
    """Tarjan's algorithm: the strongly connected components of `graph` (node -> successors)."""
    index, low, stack, on_stack, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = set()
            while v not in scc:
                w = stack.pop()
                on_stack.discard(w)
                scc.add(w)
            sccs.append(scc)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sccs


def cycles_in(scc, graph):
    """One shortest cycle through every edge of the component, without repeats."""
    found = {}
    for u in sorted(scc):
        for v in sorted(graph[u] & scc):
            parent, queue = {v: None}, deque([v])  # breadth-first from v back to u
            while queue and u not in parent:
                x = queue.popleft()
                for y in sorted(graph[x] & scc):
                    if y not in parent:
                        parent[y] = x
                        queue.append(y)
            path, x = [], u
            while x is not None:
                path.append(x)
                x = parent[x]
            cycle = [u] + path[::-1]  # u -> v -> ... -> u
            k = cycle.index(min(cycle[:-1]))
            key = tuple(cycle[k:-1] + cycle[:k])
            found.setdefault(key, list(key) + [key[0]])
    return sorted(found.values(), key=lambda c: (len(c), c))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("src", nargs="?", type=Path, default=Path(__file__).resolve().parent.parent / "src")
    parser.add_argument("--graph", action="store_true", help="print every module's dependencies")
    args = parser.parse_args()
    src = args.src.resolve()
    if not (src / "lib.rs").is_file():
        sys.exit(f"layers: {src}/lib.rs not found")
    show = lambda path: f"{src.name}/{path.relative_to(src).as_posix()}"

    files, code, test_only = {}, {}, set()
    for path in sorted(src.rglob("*.rs")):
        module = module_of(path.relative_to(src))
        files[module] = path
        code[module], children = strip_test_code(strip_literals(path.read_text(encoding="utf-8")))
        test_only |= {module + (c,) for c in children}
    is_test = lambda m: any(m[: len(t)] == t for t in test_only)
    modules = {m for m in files if not is_test(m)}

    refs = {m: {} for m in modules}  # module -> {dependency: [lines]}
    for module in modules:
        for target, line in scan(module, code[module], modules):
            if target != module:
                refs[module].setdefault(target, []).append(line)
    graph = {m: set(refs[m]) for m in modules}
    where = lambda a, b: f"{show(files[a])}:" + ", ".join(map(str, sorted(set(refs[a][b]))))

    lib_rs = show(files[ROOT])
    parsed = parse_layers(files[ROOT].read_text(encoding="utf-8"), lib_rs, modules)
    if parsed is None:
        sys.exit(f"layers: {lib_rs} has no `# Layers` list in its comments: add one "
                 "(numbered items `// N. ...` naming the modules of layer N in backticks)")
    layers, numbers, problems = parsed
    if not layers:
        sys.exit(f"layers: the `# Layers` list in {lib_rs} puts no module in a layer")
    top = max(numbers)  # the crate root's layer
    layer = {m: layer_of(m, layers, top) for m in modules}

    if args.graph:
        for m in sorted(modules, key=lambda m: (layer[m] or 0, m)):
            print(f"{name(m)} (layer {layer[m]}, {show(files[m])})")
            for d in sorted(graph[m]):
                print(f"    -> {name(d)} (layer {layer[d]})  {where(m, d)}")

    for m in sorted(modules):
        if layer[m] is None:
            problems.append(f"{show(files[m])} is in no layer: add it to the Layers list in {lib_rs}")
    unplaced, upward = len(problems), 0
    for m in sorted(modules):
        for d in sorted(graph[m]):
            if layer[m] is not None and layer[d] is not None and layer[d] > layer[m]:
                for line in sorted(set(refs[m][d])):
                    upward += 1
                    problems.append(f"upward import: {name(m)} (layer {layer[m]}) uses {name(d)} "
                                    f"(layer {layer[d]}) in {show(files[m])}:{line}")
    cycles = 0
    for scc in sorted((s for s in strongly_connected(graph) if len(s) > 1), key=min):
        problems.append(f"cycles among {len(scc)} modules: " + ", ".join(sorted(map(name, scc))))
        for cycle in cycles_in(scc, graph):
            cycles += 1
            problems.append("cycle: " + " -> ".join(map(name, cycle)) + "".join(
                f"\n    {name(a)} -> {name(b)}  {where(a, b)}" for a, b in zip(cycle, cycle[1:])))

    if problems:
        print("\n".join(problems))
        counts = [(unplaced, "layer list problem"), (upward, "upward import"), (cycles, "cycle")]
        print("layers: FAILED: " + ", ".join(f"{n} {what}{'s' * (n > 1)}" for n, what in counts if n))
        return 1
    print(f"layers: {len(modules)} modules in {len(numbers)} layers, no cycle, no upward import")
    return 0


if __name__ == "__main__":
    sys.exit(main())
