# Shared helpers for scripts/run and scripts/test: find or install what a
# fresh Debian/Ubuntu machine lacks, or print the exact command to do it.

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[1;33mWARNING: %s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
    if can_apt; then
        say "installing $* (apt-get)"
        if [ -z "${PARLEY_APT_UPDATED:-}" ]; then
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
            export PARLEY_APT_UPDATED=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        die "missing packages; run: sudo apt-get install -y $*"
    fi
}

ensure_rust() {
    command -v cargo >/dev/null 2>&1 || die "Rust is not installed; see https://rustup.rs (then re-run this command)"
    command -v cc >/dev/null 2>&1 || apt_install build-essential pkg-config
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
