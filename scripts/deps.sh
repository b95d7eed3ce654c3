#!/usr/bin/env bash
# `make deps`: the Debian packages `make run` and `make test` need besides Python, make and git.
#
# Each package is checked by what it provides (a command or a file), so a machine that has everything does
# nothing and prints one line. What is missing is installed with apt-get when this can (as root, or with
# passwordless sudo): the tshark question about non-root captures is preseeded to "no" so the install never
# blocks, `apt-get update` runs once. Otherwise the missing packages and the exact commands that install them
# are printed and the script exits 1, so make stops before the venv or the tests.
#
# Environment: PYTHON (the interpreter the venv is made from; default python3), WMPF_HIL_DEPS_INSTALL=never
# (only report, never install), WMPF_HIL_DEPS_ROOT (a directory standing for / in the file checks; for tests).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
ROOT="${WMPF_HIL_DEPS_ROOT:-}"
INSTALL="${WMPF_HIL_DEPS_INSTALL:-auto}"
FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
PRESEED="wireshark-common wireshark-common/install-setuid boolean false"

has_command() { command -v "$1" >/dev/null 2>&1; }

# package name, then why it is needed; `provided PKG` says whether the package's command or file is there
PACKAGES=(adb tshark tcpdump chromium fonts-wqy-microhei python3-venv)
declare -A WHY=(
    [adb]="Debian's adb 29 (/usr/bin/adb): the tests run against it as well as adbutils' adb"
    [tshark]="tshark and dumpcap: call captures are analysed with tshark"
    [tcpdump]="tcpdump: device-side captures"
    [chromium]="chromium: the report tests open the report headless"
    [fonts-wqy-microhei]="a CJK font ($FONT): Chinese caller names on the simulated screen"
    [python3-venv]="venv and ensurepip for $PYTHON: make creates .venv with it"
)

provided() {
    case "$1" in
        adb) [ -x "$ROOT/usr/bin/adb" ] ;;
        tshark) has_command tshark ;;
        tcpdump) has_command tcpdump ;;
        chromium) has_command chromium || has_command chromium-browser || has_command google-chrome ;;
        fonts-wqy-microhei) [ -e "$ROOT$FONT" ] ;;
        python3-venv) "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 ;;
    esac
}

missing_packages() {
    local pkg
    for pkg in "${PACKAGES[@]}"; do
        provided "$pkg" || echo "$pkg"
    done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
    echo "deps: ${PACKAGES[*]} present"
    exit 0
fi

sudo=""
can_install=false
if [ "$INSTALL" != never ] && has_command apt-get; then
    if [ "$(id -u)" = 0 ]; then
        can_install=true
    elif has_command sudo && sudo -n true >/dev/null 2>&1; then
        can_install=true
        sudo="sudo"
    fi
fi

needs_preseed=false
for pkg in "${missing[@]}"; do [ "$pkg" = tshark ] && needs_preseed=true; done

if ! $can_install; then
    prefix=""
    [ "$(id -u)" = 0 ] || prefix="sudo "
    echo "deps: missing Debian packages:" >&2
    for pkg in "${missing[@]}"; do
        printf '  %-20s %s\n' "$pkg" "${WHY[$pkg]}" >&2
    done
    echo "Install them with:" >&2
    $needs_preseed && echo "  echo '$PRESEED' | ${prefix}debconf-set-selections" >&2
    echo "  ${prefix}apt-get update" >&2
    echo "  ${prefix}env DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
    echo "then run make again." >&2
    exit 1
fi

echo "deps: installing ${missing[*]}"
if $needs_preseed; then
    echo "$PRESEED" | $sudo debconf-set-selections
fi
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null

mapfile -t still < <(missing_packages)
if ((${#still[@]})); then
    echo "deps: apt-get installed ${missing[*]} but ${still[*]} still not found" >&2
    exit 1
fi
echo "deps: ${PACKAGES[*]} present"
