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
command -v dockerd >/dev/null || need_pkgs="$need_pkgs docker.io"
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
