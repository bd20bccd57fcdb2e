#!/bin/sh
# The newcomer's first minute: a busybox bundle from the host's busybox-static, run by berth.
set -eu
BERTH=${1:-build/berth}
BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH")
DEMO=${BERTH_DEMO_DIR:-/tmp/berth-demo}
rm -rf "$DEMO"
mkdir -p "$DEMO/rootfs/bin" "$DEMO/rootfs/proc" "$DEMO/rootfs/sys" "$DEMO/rootfs/dev" "$DEMO/rootfs/etc"
cp /bin/busybox "$DEMO/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$DEMO/rootfs/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$DEMO/rootfs/etc/passwd"
cd "$DEMO"
"$BERTH" runtime spec
# not interactive here: print something instead of opening a shell
sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"sh", "-c", "echo hello from a berth container: $(hostname), pid $$; uname -sr"/' config.json
echo "+ berth runtime run demo   (bundle: $DEMO)"
"$BERTH" runtime --root "$DEMO/state" run demo
echo
echo "Try it yourself:  cd $DEMO && sudo $BERTH runtime run -b . mybox"
echo "(with \"terminal\": true in config.json for an interactive shell)"
