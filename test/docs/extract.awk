# test/docs/extract.awk: the checked examples of one docs/*.md file.
#
# A fenced ```sql block right after a line "<!-- check -->" is run; the
# fenced block without info string that follows it (blank lines between
# allowed) is its shown output, or it shows none.  Writes the SQL, each block
# after "\echo @@ FILE:LINE", to the file in variable sql, and the shown
# outputs, each after the same marker line, to the file in variable out.
function flush_pending() {
	if (pending != "") {
		print "@@ " pending > out
		pending = ""
	}
}
{
	if (state == "sql") {
		if ($0 ~ /^```[ \t]*$/) {
			state = "after_sql"
			next
		}
		print $0 > sql
		next
	}
	if (state == "output") {
		if ($0 ~ /^```[ \t]*$/) {
			state = ""
			next
		}
		print $0 > out
		next
	}
	if (state == "after_sql") {
		if ($0 ~ /^[ \t]*$/)
			next
		if ($0 ~ /^```[ \t]*$/) {
			print "@@ " pending > out
			pending = ""
			state = "output"
			next
		}
		flush_pending()
		state = ""
	}
	if ($0 ~ /^<!-- check -->[ \t]*$/) {
		marked = NR
		next
	}
	if ($0 ~ /^```sql[ \t]*$/ && marked == NR - 1) {
		flush_pending()
		pending = FILENAME ":" NR
		print "\\echo '@@ " pending "'" > sql
		state = "sql"
		next
	}
}
END {
	if (state == "sql" || state == "output")
		print "@@ unterminated code block in " FILENAME > out
	flush_pending()
}
