"""The churn module's layers (src/churn/): no circles between its files.

Each file of src/churn/ names its layer in its header comment
("Layer: computation", "storage", "SQL entry point", "workers").  The
check, from the sources alone:

- no file includes or calls into a file that includes or calls into it,
  directly or through others (the graph of includes and calls between the
  files is acyclic);
- a file calls and includes only files of its own layer or below;
- the computation (and churn.h, which every file includes) pulls in no
  SPI, worker, shared-memory or latch header.

A call is a use of a function that another file of src/churn/ defines
without "static"; an include of churn_X.h is a use of churn_X.c (but
churn.h, the computation's types, counts through the calls alone).
"""
import glob
import os
import re
import unittest

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SRC = os.path.join(TOP, "src", "churn")

# SQL entry points and the workers are one layer, the top: within it the
# calls go one way (the insert path's trigger wakes the worker, the worker
# runs the monitor's batch), which the check for circles covers
LAYERS = {"computation": 0, "storage": 1, "sql entry point": 2, "workers": 2}
# churn.h declares the computation's types and functions: which of its
# files a file uses is told by its calls
HEADER_FILES = {"churn.h": [], "churn_series.h": [], "churn_calendar.h": []}
FORBIDDEN = ("executor/spi.h", "postmaster/bgworker.h", "storage/", "postmaster/interrupt.h",
             "tcop/tcopprot.h", "access/xact.h")


def strip(code):
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
    code = re.sub(r"//[^\n]*", " ", code)
    return re.sub(r'"(\\.|[^"\\])*"', '""', code)


def read(name):
    with open(os.path.join(SRC, name), encoding="utf-8") as f:
        return f.read()


def layer_of(text):
    m = re.search(r"^ \* Layer: ([A-Za-z -]+?)[,.(]", text, re.M)
    if not m:
        return None
    name = m.group(1).strip().lower()
    for key, rank in LAYERS.items():
        if name.startswith(key):
            return rank
    return None


class ChurnLayers(unittest.TestCase):
    def setUp(self):
        self.files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(SRC, "*.c")))
        self.text = {f: read(f) for f in self.files}
        self.defs = {}
        for f in self.files:
            lines = strip(self.text[f]).split("\n")
            for i, line in enumerate(lines):
                m = re.match(r"^([A-Za-z_]\w*)\(", line)
                if (m and i > 0 and "static" not in lines[i - 1] and lines[i - 1].strip()
                        and not re.match(r"^[A-Z0-9_]+$", m.group(1))):
                    self.defs.setdefault(m.group(1), f)
        self.edges = {f: set() for f in self.files}
        for f in self.files:
            code = strip(self.text[f])
            for name in set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", code)):
                g = self.defs.get(name)
                if g and g != f:
                    self.edges[f].add(g)
            for h in re.findall(r'^#include "([^"]+)"', self.text[f], re.M):
                h = os.path.basename(h)
                for g in HEADER_FILES.get(h, [h[:-2] + ".c"]):
                    if g in self.files and g != f:
                        self.edges[f].add(g)

    def test_every_file_names_its_layer(self):
        for f in self.files + [os.path.basename(p) for p in glob.glob(os.path.join(SRC, "*.h"))]:
            self.assertIsNotNone(layer_of(read(f)), f + ": no 'Layer: ...' in its header comment")

    def test_no_circles(self):
        state = {}

        def visit(f, path):
            state[f] = 1
            for g in sorted(self.edges[f]):
                if state.get(g) == 1:
                    self.fail("circle: " + " -> ".join(path + [g]))
                if g not in state:
                    visit(g, path + [g])
            state[f] = 2

        for f in self.files:
            if f not in state:
                visit(f, [f])

    def test_calls_go_down(self):
        for f in self.files:
            for g in self.edges[f]:
                self.assertLessEqual(layer_of(self.text[g]), layer_of(self.text[f]),
                                     "%s (layer %d) uses %s (layer %d)" % (
                                         f, layer_of(self.text[f]), g, layer_of(self.text[g])))

    def test_computation_is_pure(self):
        pure = [f for f in self.files if layer_of(self.text[f]) == 0] + ["churn.h"]
        self.assertIn("churn.c", pure)
        for f in pure:
            for inc in re.findall(r'^#include "([^"]+)"', read(f), re.M):
                self.assertFalse(inc.startswith(FORBIDDEN), "%s includes %s" % (f, inc))
                if inc.startswith("churn"):
                    self.assertTrue(inc in ("churn.h", "churn_series.h", "churn_calendar.h", "churn_logreg.h", "churn_settings.h"),
                                    "%s includes %s" % (f, inc))


if __name__ == "__main__":
    unittest.main()
