#!/usr/bin/env bash
# Builds antirelou's container images from Debian's packages alone, on a
# machine that reaches Debian's mirror but no container registry (this is how
# the deployment tests build them). Needs root, docker (an engine with its
# built-in BuildKit), debootstrap and objcopy. See docs/operations.md, "The
# container image".
#
#   deploy/build-images.sh base               the Debian base image (debootstrap), once
#   deploy/build-images.sh antirelou BINARY   antirelou's image from a binary cargo built
#   deploy/build-images.sh stack              Redis, Prometheus and nginx of the compose stack
#   deploy/build-images.sh all BINARY         the three, in that order
#
# Environment (defaults in brackets):
#   ANTIRELOU_BASE_IMAGE  the base every image starts from [antirelou-base:bookworm-$BASE_RECIPE];
#                         a name that is missing locally is made with debootstrap
#   ANTIRELOU_IMAGE       antirelou's image [antirelou:local]
#   DEBIAN_MIRROR         [http://deb.debian.org/debian]
#   DEBIAN_SECURITY       [http://deb.debian.org/debian-security]
#   ANTIRELOU_DEBUG_FILE  where the binary's debug info goes [BINARY.debug]
#   DOCKER                the docker client [the first of docker, /usr/bin/docker
#                         that can build with BuildKit: with the buildx plugin, or
#                         a client older than 23 (Debian's docker.io)]
#
# Where a registry is reachable none of this is needed: build from source
# with `docker build -f deploy/Dockerfile .` and let compose build the rest
# from debian:bookworm-slim.
set -euo pipefail

# Bump when the base recipe below changes: the tag names the recipe, so a
# machine that cached an older base builds the new one instead of reusing it.
BASE_RECIPE=1
SUITE=bookworm

DEPLOY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE_IMAGE=${ANTIRELOU_BASE_IMAGE:-antirelou-base:$SUITE-$BASE_RECIPE}
ANTIRELOU_IMAGE=${ANTIRELOU_IMAGE:-antirelou:local}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
# The engine's own BuildKit: its built-in Dockerfile frontend, no `# syntax=`
# image to pull.
export DOCKER_BUILDKIT=1

# A docker client that builds with BuildKit. Clients from 23 on need the
# buildx plugin for it (Debian 12 does not package it); older ones, such as
# Debian's docker.io 20.10, drive the engine's BuildKit themselves.
buildkit_client() {
    local client major
    for client in docker /usr/bin/docker; do
        command -v "$client" >/dev/null 2>&1 || continue
        if "$client" buildx version >/dev/null 2>&1; then
            echo "$client"
            return
        fi
        major=$("$client" --version | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')
        if [ -n "$major" ] && [ "$major" -lt 23 ]; then
            echo "$client"
            return
        fi
    done
    echo "no docker client that builds with BuildKit: install Debian's docker.io, or the buildx plugin" >&2
    exit 1
}
DOCKER=${DOCKER:-$(buildkit_client)}

usage() {
    sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

have_image() {
    "$DOCKER" image inspect "$1" >/dev/null 2>&1
}

# A minimal Debian (`debootstrap --variant=minbase`, about 75 MB) with
# ca-certificates, the security updates of the day, and no documentation,
# imported as an image. Built only when missing.
build_base() {
    if have_image "$BASE_IMAGE"; then
        echo "base image $BASE_IMAGE: present"
        return
    fi
    local work started
    started=$(date +%s)
    work=$(mktemp -d "${TMPDIR:-/tmp}/antirelou-base.XXXXXX")
    # shellcheck disable=SC2064 # expand now: $work is local
    trap "rm -rf '$work'" EXIT
    local root="$work/rootfs"
    echo "base image $BASE_IMAGE: debootstrap --variant=minbase $SUITE (about a minute)"
    debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
        tail -n 30 "$work/debootstrap.log" >&2
        exit 1
    }
    cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
    # Later installs (the images' apt-get) leave no documentation and no
    # downloaded packages behind, as in Debian's own slim images.
    cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    chroot "$root" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get upgrade -y -qq >"$work/upgrade.log" 2>&1 || {
        tail -n 30 "$work/upgrade.log" >&2
        exit 1
    }
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/{man,info,locale,lintian}/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
        "$root"/var/cache/debconf/*-old "$root"/var/log/*.log "$root"/var/log/apt/*
    # The engine mounts its own at run time.
    : >"$root/etc/resolv.conf"
    : >"$root/etc/hostname"
    tar --numeric-owner -C "$root" -c . | "$DOCKER" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' \
        --message "debootstrap --variant=minbase --include=ca-certificates $SUITE $MIRROR ($(date -u +%F))" \
        - "$BASE_IMAGE" >/dev/null
    rm -rf "$work"
    trap - EXIT
    echo "base image $BASE_IMAGE: built in $(($(date +%s) - started)) s, $(image_size "$BASE_IMAGE")"
}

# antirelou's image from BINARY: the debug info goes to BINARY.debug (gdb
# finds it through the .gnu_debuglink of the image's copy), the image gets
# the binary without it.
build_antirelou() {
    local binary=$1
    local debug=${ANTIRELOU_DEBUG_FILE:-$1.debug}
    [ -x "$binary" ] || { echo "not an executable: $binary" >&2; exit 2; }
    local context
    context=$(mktemp -d "${TMPDIR:-/tmp}/antirelou-image.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$context'" EXIT
    objcopy --only-keep-debug "$binary" "$debug"
    objcopy --strip-debug --add-gnu-debuglink="$debug" "$binary" "$context/antirelou"
    # No network: the runtime stage installs nothing (the base has ca-certificates).
    "$DOCKER" build --quiet --network none -f "$DEPLOY/Dockerfile" --target runtime \
        --build-arg BINARY_FROM=context --build-arg BASE_IMAGE="$BASE_IMAGE" \
        -t "$ANTIRELOU_IMAGE" "$context" >/dev/null
    rm -rf "$context"
    trap - EXIT
    echo "image $ANTIRELOU_IMAGE: $(image_size "$ANTIRELOU_IMAGE"); binary $(file_size "$binary") of which" \
        "$(file_size "$debug") debug info, kept in $debug"
}

# The compose stack's own images (deploy/docker-compose.yml builds the same
# with compose): redis-server, prometheus and nginx from Debian.
build_stack() {
    local service
    for service in redis prometheus nginx; do
        # Host network for apt-get, as for apt-get on the host itself.
        "$DOCKER" build --quiet --network host -f "$DEPLOY/compose/$service.Dockerfile" \
            --build-arg BASE_IMAGE="$BASE_IMAGE" -t "antirelou-$service:$SUITE" "$DEPLOY/compose" >/dev/null
        echo "image antirelou-$service:$SUITE: $(image_size "antirelou-$service:$SUITE")"
    done
}

image_size() {
    "$DOCKER" image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.1f MB", $1 / 1e6 }'
}

file_size() {
    stat -c %s "$1" | awk '{ printf "%.1f MB", $1 / 1e6 }'
}

case "${1:-}" in
base) build_base ;;
antirelou) [ $# = 2 ] || usage; build_base; build_antirelou "$2" ;;
stack) build_base; build_stack ;;
all) [ $# = 2 ] || usage; build_base; build_antirelou "$2"; build_stack ;;
*) usage ;;
esac
