#!/usr/bin/env bash
# Every manual page in man/ (man/*.[1-8], whoever wrote it): "mandoc -T lint"
# reports nothing at warning level or above, it renders, its .Dt matches its
# file name, and a page that documents a program has a SYNOPSIS.  Cross
# references to labnet pages not in man/ are listed (they are other
# helpers' pages until everything is merged).  Control: a page with a
# deliberate mdoc error must fail the lint.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
command -v mandoc >/dev/null ||
    { echo "SKIP: mandoc is not installed (scripts/deps.sh test)"; exit 77; }

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# lint PAGE: mandoc's messages of level warning and above; none is clean.
lint() { mandoc -T lint -W warning "$1" 2>&1; }

pages=("$src"/man/*.[1-8])
[ -e "${pages[0]}" ] || { echo "FAIL: no pages in man/"; exit 1; }
for p in "${pages[@]}"; do
    n=$(basename "$p")
    msgs=$(lint "$p")
    if [ -z "$msgs" ]; then ok "$n: mandoc -T lint clean"; else bad "$n: $msgs"; fi
    if mandoc -T utf8 "$p" >"$tmp/out" 2>/dev/null && [ -s "$tmp/out" ]; then
        ok "$n: renders ($(wc -l <"$tmp/out") lines)"
    else
        bad "$n: does not render"
    fi
    name=${n%.*}
    sec=${n##*.}
    # mdoc's .Dt or man(7)'s .TH: the title and section of the file name.
    dt=$(sed -nE 's/^\.(Dt|TH)[[:space:]]+"?([^[:space:]"]+)"?[[:space:]]+"?([1-8]).*/\2 \3/p' "$p")
    want="$(tr '[:lower:]' '[:upper:]' <<<"$name") $sec"
    if [ "$(tr '[:lower:]' '[:upper:]' <<<"$dt")" = "$want" ]; then
        ok "$n: title $dt"
    else
        bad "$n: title is '$dt', want '$want'"
    fi
    if [[ "$name" == labnet-* ]]; then
        if grep -qiE '^\.S[hH] SYNOPSIS' "$p"; then ok "$n: has a SYNOPSIS"; else bad "$n: no SYNOPSIS"; fi
    fi
    for ref in $(sed -nE 's/^\.Xr (labnet[^ ]*) ([1-8]).*/\1.\2/p; s/^\.BR (labnet[^ ]*) \(([1-8])\).*/\1.\2/p' "$p" | sort -u); do
        [ -e "$src/man/$ref" ] || echo "note: $n refers to $ref, which is not in man/ (yet)"
    done
done

# Control: an unclosed list must be caught by the same lint.
sed '0,/^\.El$/{/^\.El$/d}' "$src/man/labnet-httpd.8" >"$tmp/broken.8"
if [ -n "$(lint "$tmp/broken.8")" ]; then
    ok "control: lint catches an unclosed list"
else
    bad "control: lint passed a page with an unclosed list"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
