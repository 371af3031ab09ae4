#!/bin/sh
# build.sh - makes the local test images, because no registry can be reached
# from the machines ecsd is tested on. Idempotent: an image that exists is
# left alone unless --force is given.
#
#   ecsd-test/busybox:latest   a static busybox in an empty root, with links
#                              for the applets tests use (sh, sleep, httpd,
#                              nc, wget, cat, env, echo, ls, true, false,
#                              kill). It can serve HTTP, sleep, exit with any
#                              code and answer health checks.
#
# Installs busybox-static with apt-get when /bin/busybox is missing.
set -eu
IMAGE=ecsd-test/busybox:latest
APPLETS="sh sleep httpd nc wget cat env echo ls true false kill mkdir rm
	printf test grep id hostname ps date timeout"
force=0
[ "${1:-}" = "--force" ] && force=1

if [ "$force" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
	echo "build.sh: $IMAGE is there"
	exit 0
fi

busybox=/bin/busybox
if [ ! -x "$busybox" ]; then
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	echo "build.sh: installing busybox-static"
	$SUDO apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q busybox-static >/dev/null
fi
# A dynamically linked busybox would not run in an empty root.
if ldd "$busybox" >/dev/null 2>&1; then
	echo "build.sh: $busybox is not static; install busybox-static" >&2
	exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/www" "$root/proc" \
	"$root/sys" "$root/dev"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for a in $APPLETS; do
	ln -s busybox "$root/bin/$a"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo 'ecsd test image' >"$root/www/index.html"
tar -C "$root" -c . | docker import \
	-c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
echo "build.sh: built $IMAGE"
