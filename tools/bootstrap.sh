#!/bin/sh
# bootstrap.sh - makes a fresh Debian machine ready to build, run and test
# ecsd: installs the build dependencies and a Docker engine when they are
# missing, and starts the engine when none answers. Safe to run again: it
# does nothing when everything is there. Needs root (or sudo) only to install.
# With --test it also installs what the test suites use (busybox for the
# test images, clang for the sanitizer build, curl).
set -eu
test_deps=0
[ "${1:-}" = "--test" ] && test_deps=1

need_pkgs=""
for p in libmicrohttpd-dev:libmicrohttpd libjansson-dev:jansson \
         libsqlite3-dev:sqlite3 libuv1-dev:libuv libcurl4-openssl-dev:libcurl \
         libssl-dev:libcrypto; do
	deb=${p%%:*}; pc=${p##*:}
	pkg-config --exists "$pc" 2>/dev/null || need_pkgs="$need_pkgs $deb"
done
command -v pkg-config >/dev/null || need_pkgs="$need_pkgs pkg-config"
command -v cc >/dev/null || need_pkgs="$need_pkgs gcc make"
if [ "$test_deps" = 1 ]; then
	command -v busybox >/dev/null || [ -x /bin/busybox ] || need_pkgs="$need_pkgs busybox-static"
	command -v clang >/dev/null || need_pkgs="$need_pkgs clang"
	command -v curl >/dev/null || need_pkgs="$need_pkgs curl"
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
if [ -n "$need_pkgs" ]; then
	echo "bootstrap: installing$need_pkgs"
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $need_pkgs >/dev/null
fi

# The Docker engine. Debian 12's docker.io is 20.10.24, whose libnetwork can
# deadlock when containers leave a network at the same moment
# (moby/moby#42545): every start, stop, removal and `docker info` then hangs
# until dockerd is killed, and a test suite that stops tasks by the dozen
# gets there. Debian 13's docker.io (26.1) has the fix and installs on
# Debian 12 over Debian 12's containerd, runc and tini (its client is the
# package docker-cli there, taken along). So when this script
# installs or starts an engine it takes that one (fetched alone, from a
# private apt list: the system's sources stay as they are), and Debian 12's
# only when Debian 13's cannot be had. An engine that already answers is
# used as it is.
major() { sed -n 's/^[^0-9]*\([0-9][0-9]*\)\..*/\1/p' | head -n 1; }
engine_flawed() { v=$(major); [ -n "$v" ] && [ "$v" -ge 17 ] && [ "$v" -lt 23 ]; }

install_engine() {
	mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)\/*$/\1/p' \
	    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	tmp=$(mktemp -d)
	echo "deb ${mirror:-http://deb.debian.org/debian} trixie main" \
	    > "$tmp/sources.list"
	mkdir -p "$tmp/lists/partial"
	set -- -q -o "Dir::Etc::sourcelist=$tmp/sources.list" \
	    -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$tmp/lists"
	$SUDO apt-get update -q >/dev/null 2>&1   # for its dependencies
	if $SUDO apt-get "$@" update >/dev/null 2>&1 &&
	    (cd "$tmp" && $SUDO apt-get "$@" download docker.io docker-cli \
	    >/dev/null 2>&1) &&
	    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
	    "$tmp"/docker.io_*.deb "$tmp"/docker-cli_*.deb >/dev/null; then
		echo "bootstrap: installed Debian 13's docker.io: $(dockerd --version)"
	else
		echo "bootstrap: Debian 13's docker.io cannot be had; installing" \
		    "Debian 12's (20.10: see docs/differences.md)"
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
		    docker.io >/dev/null
	fi
	$SUDO rm -rf "$tmp"
}

if docker version >/dev/null 2>&1; then
	# One answers; a deadlocked one still answers /version, not /info.
	if ! timeout 30 docker info >/dev/null 2>&1; then
		echo "bootstrap: the Docker engine answers but hangs on 'docker" \
		    "info': it is deadlocked (docs/differences.md); restart" \
		    "dockerd" >&2
		exit 1
	fi
	if docker version --format '{{.Server.Version}}' | engine_flawed; then
		echo "bootstrap: warning: the Docker engine that answers is" \
		    "$(docker version --format '{{.Server.Version}}'), whose" \
		    "libnetwork can deadlock (docs/differences.md)" >&2
	fi
elif ! command -v dockerd >/dev/null ||
    { dpkg -s docker.io >/dev/null 2>&1 && dockerd --version | engine_flawed; }; then
	install_engine
fi

# A Docker engine: use the one that answers, else start one.
if ! docker info >/dev/null 2>&1; then
	echo "bootstrap: no Docker engine answers; starting dockerd"
	mkdir -p "${ECSD_STATE_DIR:-/tmp}"
	$SUDO sh -c "nohup dockerd >${ECSD_STATE_DIR:-/tmp}/dockerd.log 2>&1 &"
	i=0
	until docker info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 60 ]; then
			echo "bootstrap: dockerd did not come up; see ${ECSD_STATE_DIR:-/tmp}/dockerd.log" >&2
			exit 1
		fi
		sleep 1
	done
	echo "bootstrap: dockerd is up"
fi
