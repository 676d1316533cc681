#!/bin/sh
# Runs the bats suites and closes with one "N passed, N failed" line, so a
# CI log reader can tell how many tests ran. Fails when any test failed
# or none ran.
set -u
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# POSIX sh has no PIPESTATUS: the verdict comes from bats' TAP output.
bats --timing "$@" | tee "$log"
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^not ok ' "$log")
skipped=$(grep -c '^ok .* # skip' "$log")
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] || exit 1
exit 0
