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

# Python tools from PyPI (an S3 server, an Elasticsearch-compatible server,
# schemathesis) live in one virtualenv outside the clone.
TOOLS="${PARLEY_TOOLS_DIR:-$HOME/.cache/parley-tools}"
pip_tool() { # pip_tool <package> <command>
    [ -x "$TOOLS/venv/bin/$2" ] && return 0
    if [ ! -x "$TOOLS/venv/bin/pip" ]; then
        python3 -m venv "$TOOLS/venv" 2>/dev/null || {
            can_apt && apt_install python3-venv python3-pip
            python3 -m venv "$TOOLS/venv"
        } || { warn "cannot create a Python virtualenv (sudo apt-get install -y python3-venv)"; return 1; }
    fi
    say "installing $1 from PyPI into $TOOLS/venv"
    "$TOOLS/venv/bin/pip" install -q "$1"
}

# What the desktop app links on Linux: Tauri v2 (WebKitGTK, GTK,
# appindicator, libdbus, librsvg for the icons) and its call engine (Opus,
# libvpx, ALSA for cpal, xcb/gbm/wayland/PipeWire for xcap's screen capture,
# libclang for PipeWire's generated bindings, WebRTC's audio processing for
# echo cancellation).
DESKTOP_BUILD_PKGS="libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
    libsoup-3.0-dev libssl-dev libxdo-dev libdbus-1-dev pkg-config build-essential
    libopus-dev libvpx-dev libasound2-dev libxcb1-dev libxcb-randr0-dev libgbm-dev
    libwayland-dev libpipewire-0.3-dev libclang-dev libwebrtc-audio-processing-dev"
desktop_libs() {
    pkg-config --exists webkit2gtk-4.1 gtk+-3.0 ayatana-appindicator3-0.1 dbus-1 opus vpx alsa \
        xcb-randr gbm wayland-client libpipewire-0.3 webrtc-audio-processing 2>/dev/null \
        && compgen -G "/usr/lib/llvm-*/lib/libclang*.so*" >/dev/null
}
