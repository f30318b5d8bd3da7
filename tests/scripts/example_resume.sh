#!/usr/bin/env bash
# The support_desk example on its SQLite file: a second run continues with the next week, and
# a run killed with SIGKILL mid-week is continued by the next one, which finishes the week.
# Usage: example_resume.sh PATH_TO_SUPPORT_DESK_BINARY
set -euo pipefail
desk="$1"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
db="$dir/desk.db"
fail() { echo "example_resume: $*" >&2; exit 1; }

"$desk" --db "$db" --tickets 100 --days 2 --show-logs 0 > "$dir/first.txt"
grep -q "^escalation support desk: seed 7, 100 tickets over 2 simulated days from 2026-11-23" \
    "$dir/first.txt" || fail "the first run did not simulate the first period"
grep -q "continuing" "$dir/first.txt" && fail "the first run on a new file claims to continue"

"$desk" --db "$db" --tickets 100 --days 2 --show-logs 0 > "$dir/second.txt"
grep -q "(continuing .*: period 2 (2 simulated days from 2026-11-25), resuming at 2026-11-25 00:00; 0 of its 100 tickets already taken)" \
    "$dir/second.txt" || { cat "$dir/second.txt" | head -3; fail "the second run did not go on with the next period"; }
grep -q "^escalation support desk: seed 7, 100 tickets over 2 simulated days from 2026-11-25" \
    "$dir/second.txt" || fail "the second run did not report the next period"

# A third period, killed once it has taken 20 of its tickets: the next run continues it.
"$desk" --db "$db" --tickets 100 --days 2 --show-logs 0 > "$dir/killed.txt" 2>&1 &
pid=$!
taken() {
    python3 -c 'import sqlite3, sys
try:
    c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=5)
    print(c.execute("SELECT count(*) FROM tickets WHERE intake_key LIKE ?", ("week-2-%",)).fetchone()[0])
except sqlite3.Error:
    print(0)' "$db"
}
for _ in $(seq 1 6000); do
    if [ "$(taken)" -ge 20 ]; then break; fi
    sleep 0.01
done
kill -9 "$pid" 2>/dev/null || fail "the run ended before it could be killed"
wait "$pid" 2>/dev/null || true
"$desk" --db "$db" --tickets 100 --days 2 --show-logs 0 > "$dir/resumed.txt"
line="$(grep "(continuing" "$dir/resumed.txt" || true)"
[[ "$line" =~ period\ 3\ \(2\ simulated\ days\ from\ 2026-11-27\),\ resuming\ at\ .*\;\ ([0-9]+)\ of\ its\ 100\ tickets ]] \
    || { head -3 "$dir/resumed.txt"; fail "the run after the kill did not continue period 3"; }
n="${BASH_REMATCH[1]}"
[ "$n" -gt 0 ] && [ "$n" -lt 100 ] || fail "the killed run had taken $n of 100 tickets"
grep -q "^escalation support desk: seed 7, 100 tickets over 2 simulated days from 2026-11-27" \
    "$dir/resumed.txt" || fail "the resumed run did not report the whole period"
echo "example_resume: ok (the killed run had taken $n of 100 tickets; the next run finished them)"
