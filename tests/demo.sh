#!/bin/sh
# The newcomer's first minute: an image made from the host's busybox-static, run by berth.
set -eu
BERTH=${1:-build/berth}
BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")
DEMO=${BERTH_DEMO_DIR:-/tmp/berth-demo}
rm -rf "$DEMO"
mkdir -p "$DEMO/rootfs/bin" "$DEMO/rootfs/proc" "$DEMO/rootfs/sys" "$DEMO/rootfs/dev" \
	"$DEMO/rootfs/etc" "$DEMO/rootfs/tmp" "$DEMO/rootfs/root"
cp /bin/busybox "$DEMO/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$DEMO/rootfs/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$DEMO/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$DEMO/rootfs/etc/group"

echo "+ tar -C $DEMO/rootfs -c . | berth import -c 'CMD [\"sh\"]' - busybox"
tar -C "$DEMO/rootfs" -c . | "$BERTH" import -c 'CMD ["sh"]' - busybox
echo "+ berth images"
"$BERTH" images
echo "+ berth run --rm busybox sh -c 'echo hello from a berth container: \$(hostname); id'"
"$BERTH" run --rm busybox sh -c 'echo hello from a berth container: $(hostname); id'
echo
echo "Try it yourself:  sudo $BERTH run --rm -it busybox sh"
