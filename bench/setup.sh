#!/bin/sh
# setup.sh - what `make bench` needs besides the build: the Debian packages
# (wrk, hyperfine) and the build dependencies and a Docker engine
# (tools/bootstrap.sh), and the local test image the launch phase runs.
# moto_server cannot be installed offline; run.py says so when it is missing.
# Safe to run again: it does nothing when everything is there.
set -eu
cd "$(dirname "$0")/.."
tools/bootstrap.sh
need=""
command -v wrk >/dev/null || need="$need wrk"
command -v hyperfine >/dev/null || need="$need hyperfine"
if [ -n "$need" ]; then
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	echo "bench: installing$need"
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $need >/dev/null
fi
tests/images/build.sh
command -v moto_server >/dev/null ||
	echo "bench: moto_server is missing (pip install 'moto[server]'); the run will stop" >&2
