#!/bin/sh
# run.sh - `make lint`: cppcheck and clang-tidy on ecsd's own C files.
#
# cppcheck looks for real defects (--enable=warning,portability,performance)
# in every file, tests included; it does not read system headers, so
# jansson.cfg tells it jansson's iteration macros and sys/queue.h is given
# outright. clang-tidy runs the clang static analyzer (paths through the
# code: NULL dereferences, use after free, leaks, dead stores) and the
# bugprone checks, without those that only flag style here:
#   easily-swappable-parameters, reserved-identifier, narrowing-conversions,
#   implicit-widening-of-multiplication-result (int sizes that cannot
#   overflow), not-null-terminated-result (memcpy into binary buffers),
#   integer-division (util.c truncates to milliseconds on purpose),
#   clang-analyzer-valist.Uninitialized (a false positive of clang 14 on
#   x86-64 for every va_list passed on), insecureAPI buffer-handling noise.
#
# A finding is "file [check]". known.txt lists the findings already reported
# to their owners (with where they are written down); they are printed but
# do not fail the run. Anything else fails it. An entry of known.txt that is
# no longer found is printed so it can be removed.
set -u
cd "$(dirname "$0")/../.."
known=tests/lint/known.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

SRC=$(ls daemon/*.c api/*.c store/*.c scheduler/*.c)
TESTS=$(ls tests/unit/*.c tests/fuzz/*.c tests/docker/*.c)
PKGS="libmicrohttpd jansson sqlite3 libuv libcurl"
pkg-config --exists libcrypto 2>/dev/null && PKGS="$PKGS libcrypto"
# Quoted for the sh -c that runs clang-tidy.
FLAGS="-std=gnu11 -D_GNU_SOURCE -DECSD_MODEL_PATH='\"api/model.json\"'"
FLAGS="$FLAGS -DECSD_PAUSE_PATH='\"build/pause\"' $(pkg-config --cflags $PKGS)"
TIDY_CHECKS='-*,clang-analyzer-*,-clang-analyzer-valist.Uninitialized,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-narrowing-conversions,-bugprone-implicit-widening-of-multiplication-result,-bugprone-not-null-terminated-result,-bugprone-integer-division'

for tool in cppcheck clang-tidy; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "lint: $tool is not installed (apt-get install cppcheck clang-tidy)" >&2
		exit 2
	fi
done

echo "== cppcheck"
cppcheck --enable=warning,portability,performance --std=c11 --inline-suppr \
    --quiet -D_GNU_SOURCE -j2 \
    --include=/usr/include/x86_64-linux-gnu/sys/queue.h \
    --library=posix --library=gnu --library=sqlite3 --library=libcurl \
    --library=tests/lint/jansson.cfg --suppress=missingIncludeSystem \
    --template='{file}:{line}: {severity}: {message} [{id}]' \
    $SRC $TESTS 2>"$tmp/cppcheck.txt"
grep -E '^[^ :]+:[0-9]+: [a-z]+: .* \[[A-Za-z0-9_]+\]$' "$tmp/cppcheck.txt" \
    >"$tmp/found.txt" || true

echo "== clang-tidy"
printf '%s\n' $SRC | xargs -P2 -I{} sh -c \
    "clang-tidy -quiet --checks='$TIDY_CHECKS' {} -- $FLAGS 2>/dev/null" \
    >"$tmp/tidy.txt" || true
grep -E '^/?[^ :]+:[0-9]+:[0-9]+: (warning|error): .* \[[A-Za-z0-9.,-]+\]$' \
    "$tmp/tidy.txt" | sed "s|^$PWD/||" >>"$tmp/found.txt" || true

# "file [check]" for each finding; known.txt holds such keys, then a comment.
sed -E 's/^([^:]+):.*\[([^]]+)\]$/\1 [\2]/' "$tmp/found.txt" | sort -u \
    >"$tmp/keys.txt"
sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$known" 2>/dev/null | grep . |
    sort -u >"$tmp/known.txt"
new=$(comm -23 "$tmp/keys.txt" "$tmp/known.txt")
fixed=$(comm -13 "$tmp/keys.txt" "$tmp/known.txt")
still=$(comm -12 "$tmp/keys.txt" "$tmp/known.txt")

if [ -n "$still" ]; then
	echo "known findings (reported, see tests/lint/known.txt):"
	printf '  %s\n' $still | paste -d' ' - -
fi
if [ -n "$fixed" ]; then
	echo "no longer found, remove from tests/lint/known.txt:"
	printf '  %s\n' $fixed | paste -d' ' - -
fi
if [ -n "$new" ]; then
	echo "NEW findings:"
	echo "$new" | while read -r key; do
		file=${key%% *}; check=${key#* [}; check=${check%]}
		grep -F "$file:" "$tmp/found.txt" | grep -F "[$check]"
	done
	echo "lint: $(echo "$new" | wc -l) new finding(s)"
	exit 1
fi
echo "lint: clean ($(wc -l <"$tmp/keys.txt") finding(s), all known)"
