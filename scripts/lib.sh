# scripts/lib.sh: shared by scripts/test, scripts/demo and bench/run.
#
# Installs missing Debian packages, builds and installs the extension, and
# runs a throwaway PostgreSQL cluster as an unprivileged OS user in a
# temporary directory (pg_cron preloaded), removed again on exit, also when
# something fails.  Source it; do not run it.
#
# Settings (environment):
#   CUSTSEG_PG_VERSION  the PostgreSQL major version of Debian's packages
#                       (default 15)
#   CUSTSEG_PGBIN       the bin directory of another PostgreSQL installation
#                       (a source build); default Debian's for the version
#   CUSTSEG_PRIVATE_PG  a directory for a private copy of that installation:
#                       the extension is installed into the copy, so runs
#                       with different copies do not share an installed
#                       custseg (and take no machine-wide lock)

set -euo pipefail

CUSTSEG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CUSTSEG_PG_VERSION=${CUSTSEG_PG_VERSION:-15}
PGBIN=${CUSTSEG_PGBIN:-/usr/lib/postgresql/$CUSTSEG_PG_VERSION/bin}
CUSTSEG_PACKAGES=(make gcc postgresql-$CUSTSEG_PG_VERSION postgresql-server-dev-$CUSTSEG_PG_VERSION
	postgresql-$CUSTSEG_PG_VERSION-cron postgresql-$CUSTSEG_PG_VERSION-pgtap
	libtap-parser-sourcehandler-pgtap-perl sqlsmith)
# the browser of the report check (test/report/run); scripts/report installs
# Node.js itself when the machine has none
CUSTSEG_REPORT_PACKAGES=(chromium)
if [ -n "${CUSTSEG_PGBIN:-}" ]; then
	# a source build brings its own server; pg_cron and pgTAP must be built into it
	CUSTSEG_PACKAGES=(make gcc libtap-parser-sourcehandler-pgtap-perl sqlsmith)
fi
if [ -n "${CUSTSEG_PRIVATE_PG:-}" ]; then
	CUSTSEG_PRIVATE_PG=$(mkdir -p "$CUSTSEG_PRIVATE_PG" && cd "$CUSTSEG_PRIVATE_PG" && pwd)
	CUSTSEG_SYSTEM_PGBIN=$PGBIN
	PGBIN=$CUSTSEG_PRIVATE_PG$PGBIN
fi

# Run a command as root: directly when we are root, else through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "$(basename "$0"): needs root or sudo to run: $*" >&2
		exit 1
	fi
}

# Install the Debian packages given as arguments that are not installed yet.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing Debian packages: ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

# A private copy of the installation of $CUSTSEG_SYSTEM_PGBIN under
# $CUSTSEG_PRIVATE_PG, made once: its bin directory's parent, its share
# directory and its server headers, at the same paths below the copy's root.  PostgreSQL finds its
# files relative to its programs, so the copy is a working installation.
private_pg_copy() {
	local dir
	[ -x "$PGBIN/pg_config" ] && return 0
	for dir in "$(dirname "$CUSTSEG_SYSTEM_PGBIN")" \
		$("$CUSTSEG_SYSTEM_PGBIN/pg_config" --sharedir --includedir-server); do
		case "$dir/" in
		"$(dirname "$CUSTSEG_SYSTEM_PGBIN")"/?*) continue ;;
		esac
		[ -d "$CUSTSEG_PRIVATE_PG$dir" ] && continue
		mkdir -p "$(dirname "$CUSTSEG_PRIVATE_PG$dir")"
		cp -a "$dir" "$CUSTSEG_PRIVATE_PG$dir"
	done
	chmod 755 "$CUSTSEG_PRIVATE_PG"
}

# Build warning-free (warnings are errors here) and install.  The lock keeps
# two runs on one machine from replacing each other's installed extension
# while their tests run; it is held until the calling script exits.  A
# private installation (CUSTSEG_PRIVATE_PG) needs no lock.
build_and_install() {
	local built_for
	if [ -n "${CUSTSEG_PRIVATE_PG:-}" ]; then
		private_pg_copy
	elif exec 9>>/tmp/custseg-install.lock 2>/dev/null; then
		flock 9
	fi
	# Objects built for another PostgreSQL (another pg_config) are rebuilt.
	built_for="$PGBIN/pg_config $("$PGBIN/pg_config" --version)"
	if [ "$(cat "$CUSTSEG_ROOT/src/.built-for" 2>/dev/null)" != "$built_for" ]; then
		make -s -C "$CUSTSEG_ROOT" clean PG_CONFIG="$PGBIN/pg_config"
	fi
	make -s -C "$CUSTSEG_ROOT" WERROR=1 PG_CONFIG="$PGBIN/pg_config" >/dev/null
	echo "$built_for" >"$CUSTSEG_ROOT/src/.built-for"
	as_root make -s -C "$CUSTSEG_ROOT" install PG_CONFIG="$PGBIN/pg_config" >/dev/null
}

# Copy the checkout (its files as they are, without .git and build
# products) to the new directory $1.
copy_checkout() {
	mkdir "$1"
	tar -C "$CUSTSEG_ROOT" --exclude=./.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
		--exclude=./results --exclude=./regression.diffs --exclude=./regression.out \
		--exclude=./src/.built-for -cf - . | tar -C "$1" -xf -
}

# Start a throwaway cluster; exports PGHOST, PGPORT and PGUSER for clients.
# A root caller runs the server as the "postgres" OS user, any other caller
# runs it as itself.  pg_cron is preloaded when the installation has it
# (CUSTSEG_PG_CRON is then "yes", else "no").  Extra postgresql.conf lines
# may be given as arguments.
cluster_start() {
	local line
	CUSTSEG_PGDIR=$(mktemp -d /tmp/custseg-pg.XXXXXX)
	trap cluster_stop EXIT
	CUSTSEG_PG_CRON=no
	if [ -f "$("$PGBIN/pg_config" --pkglibdir)/pg_cron.so" ]; then
		CUSTSEG_PG_CRON=yes
	fi
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$CUSTSEG_PGDIR"
		CUSTSEG_RUNAS=(runuser -u postgres --)
	else
		CUSTSEG_RUNAS=()
	fi
	"${CUSTSEG_RUNAS[@]}" "$PGBIN/initdb" -D "$CUSTSEG_PGDIR/data" -U postgres \
		--auth=trust --encoding=UTF8 --locale=C >/dev/null
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$CUSTSEG_PGDIR'"
		echo "port = 5432"
		if [ "$CUSTSEG_PG_CRON" = yes ]; then
			echo "shared_preload_libraries = 'pg_cron'"
			echo "cron.database_name = 'postgres'"
		fi
		echo "fsync = off"
		echo "max_worker_processes = 16"
		for line in "$@"; do echo "$line"; done
	} | "${CUSTSEG_RUNAS[@]}" tee -a "$CUSTSEG_PGDIR/data/postgresql.conf" >/dev/null
	"${CUSTSEG_RUNAS[@]}" "$PGBIN/pg_ctl" -D "$CUSTSEG_PGDIR/data" \
		-l "$CUSTSEG_PGDIR/server.log" -w start >/dev/null
	export PGHOST="$CUSTSEG_PGDIR" PGPORT=5432 PGUSER=postgres
}

# Stop the cluster started by cluster_start and remove its directory.
cluster_stop() {
	if [ -n "${CUSTSEG_PGDIR:-}" ] && [ -d "$CUSTSEG_PGDIR" ]; then
		"${CUSTSEG_RUNAS[@]}" "$PGBIN/pg_ctl" -D "$CUSTSEG_PGDIR/data" \
			-m immediate stop >/dev/null 2>&1 || true
		rm -rf "$CUSTSEG_PGDIR"
	fi
	CUSTSEG_PGDIR=
}

# psql against the cluster: no psqlrc, quiet, stop at the first error.
psql() {
	"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

# Create database $1 with custseg and the synthetic orders of
# bench/generate_orders.sql ($2 customers, $3 orders), analyzed.
create_orders_database() {
	psql -d postgres -c "CREATE DATABASE $1"
	psql -d "$1" -c 'CREATE EXTENSION custseg'
	psql -d "$1" -v customers="$2" -v orders="$3" -f "$CUSTSEG_ROOT/bench/generate_orders.sql"
	psql -d "$1" -c 'VACUUM ANALYZE orders'
}

# PostgreSQL $1 (a major version, e.g. 18) built from the newest source
# package of Debian's unstable suite, installed once into
# /var/cache/custseg/postgresql-<version> (outside the checkout) and reused
# by later runs; sets CUSTSEG_SOURCE_PGBIN to its bin
# directory.  The sources index of unstable is kept in a private apt
# configuration below /var/cache/custseg/apt (a deb-src entry for the mirror
# of /etc/apt/sources.list*), so the machine's own apt setup is not changed.
# The build is minimal (no documentation, LLVM, ICU, readline, zlib or NLS)
# and runs make -j2, under a lock so that concurrent runs build it once; a
# file "complete" in the installation marks a finished build (an
# interrupted one is removed and redone).  Debian's patches put the
# server's libraries into /usr/lib/postgresql/<major>/lib unless the library
# directory's path names "postgres" (as the folder's name does): the build
# is not installed if any of its directories (src/port/pg_config_paths.h)
# lies outside the folder.
pg_source_build() {
	local major=$1 cache=/var/cache/custseg mirror apt_opts version prefix work status
	ensure_packages dpkg-dev gcc make bison flex perl
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -nE 's/^URIs:[[:space:]]*(\S+\/debian)\/?$/\1/p
			s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(\S+\/debian)\/?[[:space:]].*/\2/p' |
		head -1 || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	as_root mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial"
	# A caller with sudo builds as itself, in a cache folder it owns.
	if [ "$(id -u)" -ne 0 ]; then
		as_root chown "$(id -u):$(id -g)" "$cache"
	fi
	echo "deb-src $mirror unstable main" | as_root tee "$cache/apt/sources.list" >/dev/null
	apt_opts=(-o Dir::Etc::SourceList="$cache/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o Dir::State::Lists="$cache/apt/lists" -o Dir::Cache="$cache/apt/cache")
	exec 8>>"$cache/pg$major.lock"
	flock 8
	# A day-old index is fresh enough, and spares the mirror.
	if [ -z "$(find "$cache/apt/lists" -name '*Sources*' -mmin -1440 2>/dev/null)" ]; then
		as_root apt-get "${apt_opts[@]}" update -qq
	fi
	version=$(apt-cache "${apt_opts[@]}" showsrc "postgresql-$major" |
		sed -n 's/^Version: //p' | sort -V | tail -1)
	if [ -z "$version" ]; then
		echo "no source package postgresql-$major in Debian unstable ($mirror)" >&2
		flock -u 8
		return 1
	fi
	prefix=$cache/postgresql-$version
	if [ ! -f "$prefix/complete" ]; then
		rm -rf "$prefix"
		echo "building PostgreSQL $version from Debian's source package into $prefix"
		work=$(mktemp -d "$cache/build.XXXXXX")
		chmod 755 "$work"
		if (cd "$work" &&
			apt-get "${apt_opts[@]}" source -qq "postgresql-$major=$version" >/dev/null &&
			cd "postgresql-$major-"*/ &&
			./configure -q --prefix="$prefix" --without-icu --without-readline \
				--without-zlib --without-llvm --disable-nls >/dev/null &&
			make -s -j2 >/dev/null &&
			! grep -v "^#define [A-Z]* \"$prefix/" src/port/pg_config_paths.h | grep . >&2 &&
			make -s install >/dev/null); then
			status=0
		else
			status=1
		fi
		rm -rf "$work"
		if [ "$status" -ne 0 ]; then
			echo "building PostgreSQL $version failed" >&2
			rm -rf "$prefix"
			flock -u 8
			return 1
		fi
		date -u >"$prefix/complete"
	fi
	flock -u 8
	CUSTSEG_SOURCE_PGBIN=$prefix/bin
}

# The pg_regress suite (test/sql, expected/) against the running cluster:
# sets regress_passed and regress_failed, and prints the first lines of
# regression.diffs when a test failed.  PostgreSQL 15 prints "test NAME ...
# ok", 16 and later "ok N - NAME" (and "not ok N - NAME").  Then the suite
# of the test-only module test/modules/fmgrcall (fmgr_calls), built and
# installed for this installation first.
run_regress() {
	local log status
	local fmgrcall=$CUSTSEG_ROOT/test/modules/fmgrcall
	log=$(mktemp)
	set +e
	make -s -C "$CUSTSEG_ROOT" installcheck PG_CONFIG="$PGBIN/pg_config" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	# test/modules/fmgrcall (test only, not part of custseg): every custseg
	# aggregate called through fmgr_info without an expression tree, the way
	# Citus calls them on its workers.  Rebuilt each time (one small file),
	# so never with objects of another PostgreSQL.
	make -s -C "$fmgrcall" clean PG_CONFIG="$PGBIN/pg_config" >/dev/null &&
		make -s -C "$fmgrcall" WERROR=1 PG_CONFIG="$PGBIN/pg_config" >/dev/null &&
		as_root make -s -C "$fmgrcall" install PG_CONFIG="$PGBIN/pg_config" >/dev/null &&
		make -s -C "$fmgrcall" installcheck PG_CONFIG="$PGBIN/pg_config" 2>&1 | tee -a "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
	set -e
	if [ -f "$fmgrcall/regression.diffs" ]; then
		head -100 "$fmgrcall/regression.diffs"
	fi
	regress_passed=$(grep -cE '\.\.\. ok |^ok [0-9]+ ' "$log" || true)
	regress_failed=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$log" || true)
	rm -f "$log"
	if [ "$status" -ne 0 ] && [ "$regress_failed" -eq 0 ]; then
		regress_failed=1
	fi
	if [ -f "$CUSTSEG_ROOT/regression.diffs" ]; then
		head -200 "$CUSTSEG_ROOT/regression.diffs"
	fi
}
