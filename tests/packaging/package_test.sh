#!/usr/bin/env bash
# The Debian package, built and installed the way an operator does it (ctest label "package",
# `make package-test`):
#
#   package_test.sh BUILD_DIR CPACK CACHE_DIR
#
#   1. cpack -G DEB with BUILD_DIR's CPackConfig.cmake (mdgate must be built) into a work dir.
#   2. A Debian 12 (bookworm) minbase root made by debootstrap, once: CACHE_DIR/bookworm-minbase
#      is reused by later runs; each run works on a copy, so every run installs into a pristine
#      system. The mirror is the host's own bookworm source (/etc/apt/sources.list.d/*.sources
#      or /etc/apt/sources.list), or $MDG_DEBIAN_MIRROR.
#   3. In that root (chroot, no systemd running, like an image build or a container):
#      `apt-get install ./mdgate_*.deb`, which must pull in every library the binary needs
#      from the declared Depends alone; then
#        mdgate --version
#        mdgate run --config /etc/mdgate/mdgate.toml --check-config
#        the installed unit's ExecStart= line with --check-config appended, as the user mdgate
#      and the package's state: the system user and group mdgate, the conffile (listed, 0640
#      root:mdgate), the unit enabled (multi-user.target.wants; nothing runs it here), an edited
#      conffile kept across a reinstall, and a purge that removes /etc/mdgate and leaves no
#      error.
#   Prints how long each step took.
#
# It needs root (debootstrap, chroot), debootstrap, dpkg-dev (dpkg-shlibdeps for cpack) and a
# reachable Debian mirror. Without MDG_PACKAGE_TEST=1 it exits 77 (ctest: skipped) at once.
set -euo pipefail

build=${1:?usage: package_test.sh BUILD_DIR CPACK CACHE_DIR}
cpack=${2:?missing CPACK}
cache=${3:?missing CACHE_DIR}

if [[ ${MDG_PACKAGE_TEST:-} != 1 ]]; then
    echo "SKIP: the package test runs with MDG_PACKAGE_TEST=1 (make package-test)"
    exit 77
fi

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

((EUID == 0)) || fail "needs root (debootstrap and chroot)"
for tool in debootstrap chroot dpkg-shlibdeps dpkg-deb; do
    command -v "$tool" >/dev/null ||
        fail "$tool not found (scripts/setup.sh installs debootstrap and dpkg-dev)"
done
[[ -f $build/CPackConfig.cmake ]] || fail "$build/CPackConfig.cmake is missing (configure first)"

mkdir -p "$cache"
work=$(mktemp -d "$cache/run.XXXXXX")
root=$work/root
cleanup() {
    # Nothing is mounted into the root, so removing it cannot reach the host.
    [[ -n ${MDG_PACKAGE_TEST_KEEP:-} ]] && echo "kept: $work" && return
    rm -rf "$work"
}
trap cleanup EXIT

step_start=0
step() {
    step_name=$1
    step_start=$SECONDS
    echo "== $step_name"
}
step_done() {
    echo "   $step_name: $((SECONDS - step_start)) s"
}

# The host's bookworm mirror: a deb822 stanza whose Suites include "bookworm", or a one-line
# "deb URI bookworm ..." entry.
host_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
             {
                 uri = ""; suite = 0
                 for (i = 1; i <= NF; i++) {
                     if ($i ~ /^URIs:/) { split($i, u, /[[:space:]]+/); uri = u[2] }
                     if ($i ~ /^Suites:/ && $i ~ /[[:space:]]bookworm([[:space:]]|$)/) suite = 1
                 }
                 if (uri != "" && suite) { print uri; exit }
             }' "$f"
    done
    if [[ -f /etc/apt/sources.list ]]; then
        awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) break
                           if ($(i + 1) == "bookworm") { print $i; exit } }' /etc/apt/sources.list
    fi
}

step "cpack -G DEB"
"$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log" >&2; fail "cpack -G DEB"; }
debs=("$work"/pkg/mdgate_*.deb)
[[ -f ${debs[0]} ]] || fail "cpack made no mdgate_*.deb"
deb=${debs[0]}
for f in "$work"/pkg/*.deb "$work"/pkg/*.ddeb; do
    if [[ -f $f ]]; then echo "   $(basename "$f"): $(stat -c %s "$f") bytes"; fi
done
dpkg-deb -f "$deb" Depends | sed 's/^/   Depends: /'
step_done

base=$cache/bookworm-minbase
if [[ ! -f $base/.mdg-complete ]]; then
    mirror=${MDG_DEBIAN_MIRROR:-$(host_mirror | head -n1)}
    [[ -n $mirror ]] || fail "no bookworm source in /etc/apt; set MDG_DEBIAN_MIRROR"
    step "debootstrap --variant=minbase bookworm (once; cached in $base)"
    rm -rf "$base"
    debootstrap --variant=minbase bookworm "$base" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { tail -20 "$cache/debootstrap.log" >&2; fail "debootstrap (log: $cache/debootstrap.log)"; }
    touch "$base/.mdg-complete"
    step_done
fi

step "copy the cached root"
cp -a "$base" "$root"
step_done

in_root() {
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

step "apt-get install ./$(basename "$deb")"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root apt-get update -qq >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log" >&2; fail "apt-get update in the root"; }
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")" \
    >>"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get install of the .deb"; }
grep -E '^(Setting up|Unpacking) ' "$work/apt.log" | sed 's/^/   /' | sort -u | head -40
step_done

step "mdgate from the installed package"
out=$(in_root mdgate --version) || fail "mdgate --version"
echo "   mdgate --version: $out"
out=$(in_root mdgate run --config /etc/mdgate/mdgate.toml --check-config 2>&1) ||
    fail "mdgate run --config /etc/mdgate/mdgate.toml --check-config: $out"
echo "   --check-config: $out"
unit=$root/usr/lib/systemd/system/mdgate.service
[[ -f $unit ]] || fail "the package has no /usr/lib/systemd/system/mdgate.service"
exec_start=$(grep -m1 '^ExecStart=' "$unit") || fail "the installed unit has no ExecStart="
read -r -a cmd <<<"${exec_start#ExecStart=}"
# As the unit runs it: the user mdgate (who must be able to read the 0640 config).
out=$(in_root setpriv --reuid=mdgate --regid=mdgate --init-groups "${cmd[@]}" --check-config 2>&1) ||
    fail "the unit's ExecStart= (${cmd[*]} --check-config, as mdgate) failed: $out"
echo "   ExecStart= as mdgate: ${cmd[*]} --check-config: $out"
missing=$(in_root ldd /usr/bin/mdgate | grep 'not found' || true)
[[ -z $missing ]] || fail "libraries the Depends did not bring: $missing"
step_done

step "package state"
uid=$(in_root id -u mdgate) || fail "no user mdgate"
((uid < 1000)) || fail "mdgate is not a system user (uid $uid)"
in_root getent group mdgate >/dev/null || fail "no group mdgate"
perm=$(in_root stat -c '%a %U:%G' /etc/mdgate/mdgate.toml)
[[ $perm == "640 root:mdgate" ]] || fail "/etc/mdgate/mdgate.toml is $perm, not 640 root:mdgate"
# shellcheck disable=SC2016 # ${Conffiles} is dpkg-query's field, not the shell's
conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' mdgate)
grep -q '/etc/mdgate/mdgate.toml' <<<"$conffiles" || fail "/etc/mdgate/mdgate.toml is not a conffile"
[[ -L $root/etc/systemd/system/multi-user.target.wants/mdgate.service ]] ||
    fail "the unit is not enabled (no multi-user.target.wants/mdgate.service link)"
echo "   user mdgate uid $uid, config $perm, conffile listed, unit enabled"
echo '# edited by package_test.sh' >>"$root/etc/mdgate/mdgate.toml"
in_root apt-get install -y -q --reinstall --no-install-recommends "/tmp/$(basename "$deb")" \
    >"$work/reinstall.log" 2>&1 || { cat "$work/reinstall.log" >&2; fail "reinstall"; }
grep -qx '# edited by package_test.sh' "$root/etc/mdgate/mdgate.toml" ||
    fail "the reinstall overwrote the edited conffile"
echo "   reinstall: the edited conffile was kept"
in_root dpkg --purge mdgate >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "purge"; }
[[ ! -e $root/etc/mdgate && ! -e $root/usr/bin/mdgate ]] || fail "purge left /etc/mdgate or the binary"
[[ ! -e $root/etc/systemd/system/multi-user.target.wants/mdgate.service ]] ||
    fail "purge left the enablement link"
echo "   purge: /etc/mdgate, the binary and the unit's links are gone"
step_done

echo "OK: $(basename "$deb") installs on Debian 12 minbase and runs"
