# Sourced by the .ci scripts: `apt_install WHAT PACKAGE...` installs Debian packages for a test
# dependency that is missing, as root or through passwordless sudo, with no stdin. The caller
# defines `die`; any failure ends there with a message naming WHAT, so CI never silently skips
# the tests that need it.
apt_install() {
    local what=$1
    shift
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "$what is not installed and there is no root or sudo to install it"
        sudo=(sudo -n)
    fi
    command -v apt-get >/dev/null 2>&1 || die "$what is not installed and apt-get is not available"
    echo "installing $what (apt-get install $*)" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq </dev/null >/dev/null || die "apt-get update failed"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" </dev/null >/dev/null \
        || die "apt-get install $* failed"
}
