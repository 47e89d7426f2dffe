#!/bin/sh
# fetch-lwip.sh - behind `make deps` and .ci/run: fetch Debian's `lwip`
# source package with the ordinary Debian tools and unpack it under build/
# (never into the tree).
#
# The machine's apt sources name where its binary packages come from; this
# script derives a deb-src variant of the same entries (same URIs, suites,
# components and keyring: no host name is typed here) into a private apt
# configuration under build/apt/, so the system's own apt state is not
# touched.  `apt-get source` checks the .dsc against the signed Sources
# index, and dpkg-source -x checks every file the .dsc lists against its
# checksums, as it always does; a mismatch stops here.
#
# Usage: sh scripts/fetch-lwip.sh [BUILD_DIR]    (default: build)
# Result: BUILD_DIR/lwip/src  (the unpacked source tree, with Debian's patches)
# Exits 0 at once when the source is already there.  Needs dpkg-dev.
set -eu

B=${1:-build}
DEST="$B/lwip/src"
[ -f "$DEST/src/include/lwip/opt.h" ] && exit 0

command -v dpkg-source >/dev/null 2>&1 || {
	echo "fetch-lwip: dpkg-source is missing (Debian package: dpkg-dev)" >&2
	exit 1
}

APT="$(pwd)/$B/apt"
rm -rf "$APT"
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/archives/partial" "$APT/work"

# deb822 .sources files: the same stanzas with Types: deb-src.
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	sed 's/^Types:.*/Types: deb-src/' "$f" > "$APT/sources.list.d/$(basename "$f")"
done
# One-line sources.list entries: "deb URI ..." becomes "deb-src URI ...".
: > "$APT/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$APT/sources.list"
done

set -- -o Dir::Etc::SourceList="$APT/sources.list" \
	-o Dir::Etc::SourceParts="$APT/sources.list.d" \
	-o Dir::State::Lists="$APT/lists" \
	-o Dir::Cache::Archives="$APT/archives" \
	-o APT::Get::List-Cleanup=0

echo "fetch-lwip: apt-get update (deb-src entries derived from /etc/apt)"
apt-get "$@" update -qq
echo "fetch-lwip: apt-get source lwip"
(cd "$APT/work" && apt-get "$@" source lwip)

dsc=$(ls "$APT/work"/lwip_*.dsc 2>/dev/null | head -n 1)
[ -n "$dsc" ] || { echo "fetch-lwip: no lwip .dsc was fetched" >&2; exit 1; }
dir=$(find "$APT/work" -mindepth 1 -maxdepth 1 -type d -name 'lwip-*' | head -n 1)
[ -n "$dir" ] || { echo "fetch-lwip: the source did not unpack" >&2; exit 1; }
[ -f "$dir/src/include/lwip/opt.h" ] || { echo "fetch-lwip: $dir has no src/include/lwip/opt.h" >&2; exit 1; }
rm -rf "$DEST"
mkdir -p "$B/lwip"
mv "$dir" "$DEST"
cp "$dsc" "$B/lwip/"
echo "fetch-lwip: $(basename "$dsc") unpacked into $DEST"
