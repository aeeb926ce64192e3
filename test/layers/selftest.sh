#!/usr/bin/env bash
# test/layers/selftest.sh: check.py finds a circle where there is one (an
# include one way and a call back, between folders), and none where the
# same files are layered.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/low" "$tmp/src/high"
cat >"$tmp/src/low/base.h" <<'C'
int base(int x);
C
cat >"$tmp/src/high/top.h" <<'C'
int top(int x);
C
cat >"$tmp/src/high/top.c" <<'C'
#include "low/base.h"
#include "top.h"
int top(int x) { return base(x) + 1; }
C
cat >"$tmp/src/low/base.c" <<'C'
#include "low/base.h"
int base(int x) { return x * 2; }
C
cc -c -I"$tmp/src" -o "$tmp/src/high/top.o" "$tmp/src/high/top.c"
cc -c -I"$tmp/src" -o "$tmp/src/low/base.o" "$tmp/src/low/base.c"
python3 "$here/check.py" --src "$tmp/src" --require-objects >"$tmp/out" ||
	{ echo "layered files reported as a circle:"; cat "$tmp/out"; exit 1; }
# now base calls back up into top
cat >"$tmp/src/low/base.c" <<'C'
#include "low/base.h"
int top(int x);
int base(int x) { return x > 0 ? top(x - 1) : 0; }
C
cc -c -I"$tmp/src" -o "$tmp/src/low/base.o" "$tmp/src/low/base.c"
if python3 "$here/check.py" --src "$tmp/src" --require-objects >"$tmp/out"; then
	echo "a call back up was not found:"; cat "$tmp/out"; exit 1
fi
grep -q 'low/base -> high/top (calls top)' "$tmp/out" || { cat "$tmp/out"; exit 1; }
# and an include back up, without the call
cat >"$tmp/src/low/base.c" <<'C'
#include "low/base.h"
#include "high/top.h"
int base(int x) { return x * 2; }
C
cc -c -I"$tmp/src" -o "$tmp/src/low/base.o" "$tmp/src/low/base.c"
if python3 "$here/check.py" --src "$tmp/src" --require-objects >"$tmp/out"; then
	echo "an include back up was not found:"; cat "$tmp/out"; exit 1
fi
grep -q 'low/base -> high/top (includes high/top.h)' "$tmp/out" || { cat "$tmp/out"; exit 1; }
echo "check.py finds calls and includes back up, and passes layered files"
