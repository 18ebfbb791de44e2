#!/usr/bin/env bash
# Builds the Debian package of antirelou for one small server, from a
# binary cargo built, with dpkg-deb on a staged tree (no debhelper, no
# cargo-deb: seconds, nothing to install):
#
#   cargo build --release -p antirelou
#   bash deploy/debian/build-deb.sh target/release/antirelou dist/
#
# Writes dist/antirelou_VERSION_ARCH.deb and prints its path. Inside: the
# binary, the systemd unit (deploy/single/antirelou.service) and its
# share-secrets helper, the Caddyfile, the guides, an example configuration,
# and an empty /etc/antirelou for `sudo antirelou init`.
# DEB_COMPRESSION (default xz) is dpkg-deb's -Z: the tests use none.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
binary=${1:?usage: build-deb.sh BINARY OUTDIR}
outdir=${2:?usage: build-deb.sh BINARY OUTDIR}
compression=${DEB_COMPRESSION:-xz}

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

install -D -m 0755 "$binary" "$stage/usr/bin/antirelou"
install -D -m 0644 "$ROOT/deploy/single/antirelou.service" "$stage/lib/systemd/system/antirelou.service"
install -D -m 0755 "$ROOT/deploy/single/share-secrets" "$stage/usr/lib/antirelou/share-secrets"
install -D -m 0644 "$ROOT/deploy/single/Caddyfile" "$stage/usr/share/antirelou/Caddyfile"
install -D -m 0644 "$ROOT/examples/antirelou.toml" "$stage/usr/share/doc/antirelou/examples/antirelou.toml"
for guide in guide.en.md guide.fr.md; do
    install -D -m 0644 "$ROOT/docs/$guide" "$stage/usr/share/doc/antirelou/$guide"
done
install -D -m 0644 "$ROOT/deploy/debian/copyright" "$stage/usr/share/doc/antirelou/copyright"
install -d -m 0755 "$stage/etc/antirelou"

install -d -m 0755 "$stage/DEBIAN"
installed_kib=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_kib/" \
    "$ROOT/deploy/debian/control" >"$stage/DEBIAN/control"
for script in postinst postrm; do
    install -m 0755 "$ROOT/deploy/debian/$script" "$stage/DEBIAN/$script"
done

mkdir -p "$outdir"
deb="$outdir/antirelou_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Z"$compression" --build "$stage" "$deb" >/dev/null
echo "$deb"
