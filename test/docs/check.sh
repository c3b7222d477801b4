# test/docs/check.sh: run the checked examples of docs/*.md (blocks marked
# "<!-- check -->", see extract.awk) and compare their output with the
# output the docs show.  Sourced by scripts/test after lib.sh, with the
# cluster running and the extension installed.  Each docs file runs in a
# database of its own with custseg installed, in one session, from the
# project root (so that its examples load test/data/ and
# bench/generate_orders.sql themselves), with TimeZone UTC.  Sets
# docs_check_passed (examples that matched) and docs_check_failed (files
# that did not), and prints the differences.
docs_check() {
	local dir file name status
	dir=$(mktemp -d)
	docs_check_passed=0 docs_check_failed=0
	psql -d postgres -c 'CREATE DATABASE custseg_docs_data' >/dev/null
	psql -d custseg_docs_data -c 'CREATE EXTENSION custseg' >/dev/null
	for file in "$CUSTSEG_ROOT"/docs/*.md; do
		name=$(basename "$file" .md)
		: >"$dir/$name.sql"
		: >"$dir/$name.expected"
		(cd "$CUSTSEG_ROOT" && awk -v sql="$dir/$name.sql" -v out="$dir/$name.expected" \
			-f test/docs/extract.awk "docs/$name.md")
		[ -s "$dir/$name.sql" ] || continue
		psql -d postgres -c "CREATE DATABASE custseg_docs_$name TEMPLATE custseg_docs_data" >/dev/null
		status=0
		(cd "$CUSTSEG_ROOT" && PGOPTIONS='-c TimeZone=UTC -c client_min_messages=warning' \
			"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -P footer=off -d "custseg_docs_$name" \
			-f "$dir/$name.sql" >"$dir/$name.out" 2>&1) || status=$?
		# Lines compared without trailing blanks, blank lines left out.
		sed -E 's/[ \t]+$//' "$dir/$name.out" | grep -v '^$' >"$dir/$name.got" || true
		sed -E 's/[ \t]+$//' "$dir/$name.expected" | grep -v '^$' >"$dir/$name.want" || true
		diff -u "$dir/$name.want" "$dir/$name.got" >"$dir/$name.diff" || status=1
		if [ "$status" -eq 0 ]; then
			docs_check_passed=$((docs_check_passed + $(grep -c '^@@ ' "$dir/$name.want")))
		else
			docs_check_failed=$((docs_check_failed + 1))
			echo "docs check: docs/$name.md differs from what its examples show (- shown, + got):"
			head -60 "$dir/$name.diff"
			grep -m3 -E '^psql:|ERROR' "$dir/$name.out" || true
		fi
	done
	rm -rf "$dir"
}
