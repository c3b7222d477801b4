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
	if [ -n "${CUSTSEG_PRIVATE_PG:-}" ]; then
		private_pg_copy
	elif exec 9>>/tmp/custseg-install.lock 2>/dev/null; then
		flock 9
	fi
	make -s -C "$CUSTSEG_ROOT" WERROR=1 PG_CONFIG="$PGBIN/pg_config" >/dev/null
	as_root make -s -C "$CUSTSEG_ROOT" install PG_CONFIG="$PGBIN/pg_config" >/dev/null
}

# Start a throwaway cluster; exports PGHOST, PGPORT and PGUSER for clients.
# A root caller runs the server as the "postgres" OS user, any other caller
# runs it as itself.  Extra postgresql.conf lines may be given as arguments.
cluster_start() {
	local line
	CUSTSEG_PGDIR=$(mktemp -d /tmp/custseg-pg.XXXXXX)
	trap cluster_stop EXIT
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
		echo "shared_preload_libraries = 'pg_cron'"
		echo "cron.database_name = 'postgres'"
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
