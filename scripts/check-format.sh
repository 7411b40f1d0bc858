#!/usr/bin/env bash
# Fails (and lists the files) when a C source is not clang-formatted.
# scripts/check-format.sh --fix rewrites them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's C files: from git when this is a checkout, else by walking
# the source folders (a tarball, or a machine without git).
if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' |
        while read -r f; do [ -f "$f" ] && echo "$f"; done)
else
    mapfile -t files < <(find common dhcpd dnsd httpd clients tests bench fuzz \
        -name '*.[ch]' -type f 2>/dev/null | sort)
fi
if [ "${1:-}" = "--fix" ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
if [ ${#files[@]} -eq 0 ]; then
    echo "format: found no C files to check; refusing to pass" >&2
    exit 1
fi
bad=()
for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "not clang-formatted (run scripts/check-format.sh --fix):"
    printf '  %s\n' "${bad[@]}"
    exit 1
fi
echo "format: ${#files[@]} C files clang-formatted"
