#!/usr/bin/env python3
"""test/layers/check.py: no circles between the files of src/.

A unit is a source file with its header of the same name (src/score/run.c
and src/score/run.h are one unit).  Unit A depends on unit B when a file of A
includes a header of B ("..." includes only; system and PostgreSQL headers
are not ours) or when A's object file has an undefined symbol that B's
object file defines (nm).  The dependency graph must have no cycle: a file
never includes or calls into a file that includes or calls back into it.

Every C file and header under src/ is scanned, whatever folder it is in, so
files can move between folders without touching this script.  Objects are
looked for beside their sources (the PGXS build puts them there); a unit
without an object is checked by its includes only, and with --require-objects
that is an error.

  test/layers/check.py [--src DIR] [--require-objects] [--graph]

Prints each cycle found (the files around it) and exits 1, or prints a
one-line summary and exits 0.  A circle listed in test/layers/known-circles
(the file names of its units, one circle a line, while the work that breaks
it is under way) is printed but does not fail; a listed circle that is no
longer there is reported, so that its line is removed.
"""
import argparse
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def units(src):
    """map unit name (path below src without extension) -> list of files"""
    out = {}
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith('.'))
        for f in sorted(filenames):
            if f.endswith(('.c', '.h')):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, src)
                out.setdefault(os.path.splitext(rel)[0], []).append(path)
    return out


def resolve(include, from_file, src, headers):
    """the header an #include "..." names: beside the includer, then under src"""
    for base in (os.path.dirname(from_file), src):
        cand = os.path.normpath(os.path.join(base, include))
        if cand in headers:
            return cand
    return None


def nm_symbols(obj):
    """(defined, undefined) global symbols of an object file"""
    res = subprocess.run(['nm', '-g', obj], capture_output=True, text=True, check=True)
    defined, undefined = set(), set()
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == 'U':
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in 'TDBRCVWGS':
            defined.add(parts[2])
    return defined, undefined


def find_cycles(graph):
    """strongly connected components with more than one unit (Tarjan)"""
    index, low, onstack, stack, out = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        onstack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in onstack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                onstack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--src', default=os.path.join(os.path.dirname(__file__), '..', '..', 'src'))
    ap.add_argument('--require-objects', action='store_true')
    ap.add_argument('--graph', action='store_true', help='print every edge')
    args = ap.parse_args()
    src = os.path.normpath(args.src)

    u = units(src)
    unit_of = {f: name for name, files in u.items() for f in files}
    headers = {f for f in unit_of if f.endswith('.h')}
    graph = {name: set() for name in u}
    why = {}

    for f, name in unit_of.items():
        with open(f, encoding='utf-8', errors='replace') as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            h = resolve(inc, f, src, headers)
            if h and unit_of[h] != name:
                graph[name].add(unit_of[h])
                why.setdefault((name, unit_of[h]), 'includes %s' % os.path.relpath(h, src))

    defined_by = {}
    undefined = {}
    missing = []
    for name, files in u.items():
        cfiles = [f for f in files if f.endswith('.c')]
        for c in cfiles:
            obj = c[:-2] + '.o'
            if not os.path.exists(obj):
                missing.append(c)
                continue
            d, und = nm_symbols(obj)
            for s in d:
                defined_by.setdefault(s, name)
            undefined.setdefault(name, set()).update(und)
    for name, syms in undefined.items():
        for s in sorted(syms):
            other = defined_by.get(s)
            if other and other != name:
                graph[name].add(other)
                why.setdefault((name, other), 'calls %s' % s)

    if missing and args.require_objects:
        print('no object for: %s (build first)' % ' '.join(sorted(missing)))
        return 1
    if args.graph:
        for a in sorted(graph):
            for b in sorted(graph[a]):
                print('%s -> %s (%s)' % (a, b, why[(a, b)]))

    known = []
    listed = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'known-circles')
    if os.path.exists(listed):
        with open(listed) as fh:
            for line in fh:
                line = line.split('#', 1)[0].split()
                if line:
                    known.append(frozenset(line))

    def names(comp):
        return frozenset(os.path.basename(c) for c in comp)

    cycles = []
    seen_known = set()
    for comp in find_cycles(graph):
        if names(comp) in known:
            seen_known.add(names(comp))
            print('known circle (test/layers/known-circles): %s' % ', '.join(comp))
            continue
        cycles.append(comp)
    for k in known:
        if k not in seen_known:
            print('listed in test/layers/known-circles but gone: %s (remove the line)' % ' '.join(sorted(k)))
    for comp in cycles:
        print('circle between: %s' % ', '.join(comp))
        members = set(comp)
        for a in comp:
            for b in sorted(graph[a] & members):
                print('    %s -> %s (%s)' % (a, b, why[(a, b)]))
    edges = sum(len(v) for v in graph.values())
    if cycles:
        print('%d circle(s) among %d units' % (len(cycles), len(graph)))
        return 1
    print('no circles: %d units, %d dependencies, %d objects read%s' %
          (len(graph), edges, len(undefined),
           ', %d known circle(s) left' % len(seen_known) if seen_known else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
