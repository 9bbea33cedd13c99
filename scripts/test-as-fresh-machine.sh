#!/usr/bin/env bash
# Runs `npm test` as on a machine with only Node.js and npm (README, "Test it"), on this one:
# in private mount and network namespaces (needs root and util-linux `unshare`), the programs of
# Debian's oathtool, zbar-tools and chromium packages, the PostgreSQL server programs and the NSS
# libraries Chromium links to are hidden, and no PostgreSQL or Redis server can be reached (the
# network namespace has only its own loopback). Nothing changes outside the namespaces.
#
#   npm ci && bash scripts/test-as-fresh-machine.sh            # passes, one "skipped" line per suite
#   CI=true bash scripts/test-as-fresh-machine.sh             # fails: what CI requires is missing
#   bash scripts/test-as-fresh-machine.sh -- --project interop  # arguments go to `npm test`
set -euo pipefail
cd "$(dirname "$0")/.."

exec unshare --mount --net bash -euo pipefail -c '
	ip link set lo up
	hide() { mount --bind /dev/null "$1"; echo "hidden: $1"; }
	IFS=: read -ra path_dirs <<<"$PATH"
	for program in oathtool zbarimg chromium; do
		for dir in "${path_dirs[@]}"; do
			if [ -x "$dir/$program" ]; then hide "$dir/$program"; fi
		done
	done
	for library in libnss3.so libnssutil3.so libnspr4.so libplc4.so libplds4.so; do
		for file in /usr/lib/x86_64-linux-gnu/"$library" /usr/lib64/"$library"; do
			if [ -e "$file" ]; then hide "$file"; fi
		done
	done
	if [ -d /usr/lib/postgresql ]; then mount -t tmpfs tmpfs /usr/lib/postgresql && echo "hidden: /usr/lib/postgresql"; fi
	unset DEADBOLT_TEST_DATABASE_URL DEADBOLT_TEST_REDIS_URL
	npm test "$@"
' fresh-machine "$@"
