#!/bin/bash
# kvm-patch/build.sh OUTDIR
#
# Builds KVM with the kvm-patch series as out-of-tree modules for one kernel
# and the standalone host-call selftest:
#
#   OUTDIR/kvm.ko OUTDIR/kvm-amd.ko OUTDIR/kvm-intel.ko   (debug info stripped)
#   OUTDIR/hostcall_test                                 (static binary)
#   OUTDIR/build-info                                    (what was built)
#   OUTDIR/src/                                          (patched sources, cached)
#
# Environment (all optional):
#   KVER          kernel release to build for. Default: build/kernel/version
#                 of this checkout (the guest kernel), else `uname -r`.
#   KDIR          kernel build directory. Default: /lib/modules/$KVER/build,
#                 else /usr/src/linux-headers-$KVER.
#   LINUX_SRC     an unpacked kernel source tree of the same version, used
#                 instead of the tarball (for kernels Debian does not ship).
#   LINUX_SOURCE_TARBALL  Default: /usr/src/linux-source-6.1.tar.xz
#                 (Debian package linux-source-6.1).
#   ALLOW_VERSION_MISMATCH=1  build even if source and headers disagree.
#   JOBS          make -j. Default: nproc.
#
# A second run with unchanged inputs reuses OUTDIR/src and kbuild's own
# dependency tracking, so it only relinks what changed.
set -euo pipefail

die() { echo "kvm-patch/build.sh: error: $*" >&2; exit 1; }
log() { echo "kvm-patch: $*"; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
JOBS=${JOBS:-$(nproc)}

# ---- Which kernel ---------------------------------------------------------
if [ -z "${KVER:-}" ]; then
	if [ -s "$TOP/build/kernel/version" ]; then
		KVER=$(cat "$TOP/build/kernel/version")
	else
		KVER=$(uname -r)
	fi
fi
if [ -z "${KDIR:-}" ]; then
	if [ -e "/lib/modules/$KVER/build/Makefile" ]; then
		KDIR=/lib/modules/$KVER/build
	else
		KDIR=/usr/src/linux-headers-$KVER
	fi
fi
[ -e "$KDIR/Makefile" ] ||
	die "no kernel headers for $KVER at $KDIR (Debian: apt-get install linux-headers-$KVER)"
KVERSION=$(make -s -C "$KDIR" kernelversion 2>/dev/null) ||
	die "cannot read the kernel version from $KDIR"

# ---- Which source ----------------------------------------------------------
PATCHES=("$HERE"/[0-9][0-9][0-9][0-9]-*.patch)
[ -e "${PATCHES[0]}" ] || die "no patches in $HERE"

if [ -n "${LINUX_SRC:-}" ]; then
	[ -f "$LINUX_SRC/Makefile" ] || die "LINUX_SRC=$LINUX_SRC is not a kernel tree"
	SRC_ID="dir:$(cd "$LINUX_SRC" && pwd)"
else
	TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
	[ -f "$TARBALL" ] ||
		die "$TARBALL missing (Debian: apt-get install linux-source-6.1, or set LINUX_SRC)"
	TOPDIR=$(basename "$TARBALL")
	TOPDIR=${TOPDIR%.tar.*}
	SRC_ID="tar:$TARBALL:$(stat -c %s:%Y "$TARBALL")"
fi

# ---- Cache key: source identity, patches, this script ----------------------
KEY=$( { echo "$SRC_ID"; echo "$KVERSION"; cat "${PATCHES[@]}" "$0"; } | sha256sum | cut -d' ' -f1)
STAMP=$OUT/src/.hostcall-stamp

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ]; then
	log "sources up to date in $OUT/src"
else
	# What to extract: KVM itself, every file the series changes, and the
	# kernel-internal twin of each patched uapi header (see the -I note below).
	# (tar names each member once: leave out files inside the directories.)
	dirs=(arch/x86/kvm virt/kvm)
	members=(Makefile "${dirs[@]}" include/linux/kvm_para.h)
	while read -r f; do
		inside=0
		for d in "${dirs[@]}"; do
			case "$f" in "$d"/*) inside=1 ;; esac
		done
		if [ $inside = 0 ]; then members+=("$f"); fi
	done < <(sed -n 's|^--- a/||p' "${PATCHES[@]}" | sort -u)

	NEW=$OUT/src.new
	rm -rf "$NEW"
	mkdir -p "$NEW"
	log "extracting ${#members[@]} paths"
	if [ -n "${LINUX_SRC:-}" ]; then
		(cd "$LINUX_SRC" && tar -cf - "${members[@]}") | tar -xf - -C "$NEW" ||
			die "copying from $LINUX_SRC failed"
	else
		tar -xJf "$TARBALL" -C "$NEW" --strip-components=1 \
			"${members[@]/#/$TOPDIR/}" ||
			die "extracting from $TARBALL failed"
	fi

	SVERSION=$(awk '/^VERSION =/{v=$3} /^PATCHLEVEL =/{p=$3} /^SUBLEVEL =/{s=$3}
		END{print v "." p "." s}' "$NEW/Makefile")
	log "kernel $KVER ($KVERSION, headers $KDIR), source $SVERSION"
	if [ "$SVERSION" != "$KVERSION" ]; then
		msg="source is $SVERSION but the headers are $KVERSION"
		[ "${ALLOW_VERSION_MISMATCH:-0}" = 1 ] || die "$msg (ALLOW_VERSION_MISMATCH=1 to force)"
		echo "kvm-patch: warning: $msg" >&2
	fi
	if [ -z "${LINUX_SRC:-}" ] && command -v dpkg-query >/dev/null; then
		sv=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || true)
		hv=$(dpkg-query -W -f '${Version}' "linux-headers-$KVER" 2>/dev/null || true)
		if [ -n "$sv" ] && [ -n "$hv" ] && [ "$sv" != "$hv" ]; then
			msg="linux-source-6.1 is $sv but linux-headers-$KVER is $hv"
			[ "${ALLOW_VERSION_MISMATCH:-0}" = 1 ] || die "$msg (ALLOW_VERSION_MISMATCH=1 to force)"
			echo "kvm-patch: warning: $msg" >&2
		fi
	fi

	for p in "${PATCHES[@]}"; do
		log "applying $(basename "$p")"
		patch -d "$NEW" -p1 --batch --forward --no-backup-if-mismatch -s < "$p" ||
			die "$(basename "$p") does not apply to $SVERSION"
	done

	# Out-of-tree adjustments (notes/platform.md):
	#  - Makefile.kvm and KVM's own headers come from this tree, not $(srctree);
	#  - include/trace exists (empty) so that trace.h's TRACE_INCLUDE_PATH
	#    (../../arch/x86/kvm) resolves to this tree;
	#  - the patched headers win over the installed ones. Kbuild puts
	#    NOSTDINC_FLAGS before LINUXINCLUDE; ccflags-y would come after it.
	#    include/ comes before include/uapi/ as in the kernel, which is why
	#    include/linux/kvm_para.h (unpatched) is copied too: <linux/kvm_para.h>
	#    must still find the kernel header, which includes the patched
	#    <uapi/linux/kvm_para.h>.
	mk=$NEW/arch/x86/kvm/Makefile
	sed -i -e 's|^include \$(srctree)/virt/kvm/Makefile.kvm$|include $(src)/../../../virt/kvm/Makefile.kvm|' \
	       -e 's|^ccflags-y += -I \$(srctree)/arch/[^/]*/kvm$|ccflags-y += -I $(src) -I $(src)/../../../include/trace|' \
	       "$mk"
	grep -q '^include $(src)/../../../virt/kvm/Makefile.kvm$' "$mk" &&
		grep -q '^ccflags-y += -I $(src) -I $(src)/../../../include/trace$' "$mk" ||
		die "arch/x86/kvm/Makefile has an unexpected layout; adjust build.sh"
	cat >> "$mk" <<-'EOF'

	# kvm-patch/build.sh: patched headers of this tree before the installed ones
	NOSTDINC_FLAGS += -I$(src)/../../../arch/x86/include -I$(src)/../../../include \
			  -I$(src)/../../../include/uapi
	EOF
	mkdir -p "$NEW/include/trace"

	rm -rf "$OUT/src"
	mv "$NEW" "$OUT/src"
	echo "$KEY" > "$STAMP"
fi

# ---- The constants VMMs use must match the patch (and the guest ABI) -------
# (The raw uapi header includes <linux/compiler.h>, which headers_install
# strips: an empty stand-in is enough here.)
mkdir -p "$OUT/.check/linux"
echo "#define __user" > "$OUT/.check/linux/compiler.h"
gcc -fsyntax-only -x c -I "$OUT/.check" -I "$OUT/src/include/uapi" -I "$HERE" \
	-I "$TOP/guest-lib/include" - <<'EOF' ||
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include "hostcall_abi.h"
enum {
	P_CAP = KVM_CAP_EXIT_HOSTCALL,
	P_EN = KVM_EXIT_HOSTCALL_ENABLE,
	P_HC = KVM_HC_HOSTCALL,
};
#undef KVM_CAP_EXIT_HOSTCALL
#undef KVM_EXIT_HOSTCALL_ENABLE
#undef KVM_HC_HOSTCALL
#include "hostcall_kvm.h"
_Static_assert(P_CAP == KVM_CAP_EXIT_HOSTCALL, "KVM_CAP_EXIT_HOSTCALL");
_Static_assert(P_EN == KVM_EXIT_HOSTCALL_ENABLE, "KVM_EXIT_HOSTCALL_ENABLE");
_Static_assert(P_HC == KVM_HC_HOSTCALL, "KVM_HC_HOSTCALL");
_Static_assert(P_HC == HC_HYPERCALL_NR, "HC_HYPERCALL_NR");
_Static_assert(KVM_HC_HOSTCALL_KICK_SESSION == HC_KICK_SESSION, "HC_KICK_SESSION");
EOF
	die "hostcall_kvm.h, hostcall_abi.h and the patch disagree (see above)"
# The eventfd API (0003): hostcall_kvm.h declares it only where <linux/kvm.h>
# lacks it, so its copy is compiled under other names and compared.
gcc -fsyntax-only -x c -I "$OUT/.check" -I "$OUT/src/include/uapi" -I "$HERE" - <<'EOF' ||
#include <stddef.h>
#include <linux/kvm.h>
enum {
	P_CAP = KVM_CAP_HOSTCALL_EVENTFD,
	P_DEASSIGN = KVM_HOSTCALL_EVENTFD_DEASSIGN,
	P_IOC = KVM_HOSTCALL_EVENTFD,
};
#undef KVM_CAP_HOSTCALL_EVENTFD
#undef KVM_HOSTCALL_EVENTFD_DEASSIGN
#undef KVM_HOSTCALL_EVENTFD
#define kvm_hostcall_eventfd hdr_kvm_hostcall_eventfd
#include "hostcall_kvm.h"
#undef kvm_hostcall_eventfd
#define SAME(f) (offsetof(struct kvm_hostcall_eventfd, f) == \
		 offsetof(struct hdr_kvm_hostcall_eventfd, f) && \
		 sizeof(((struct kvm_hostcall_eventfd *)0)->f) == \
		 sizeof(((struct hdr_kvm_hostcall_eventfd *)0)->f))
_Static_assert(P_CAP == KVM_CAP_HOSTCALL_EVENTFD, "KVM_CAP_HOSTCALL_EVENTFD");
_Static_assert(P_DEASSIGN == KVM_HOSTCALL_EVENTFD_DEASSIGN, "KVM_HOSTCALL_EVENTFD_DEASSIGN");
_Static_assert(P_IOC == KVM_HOSTCALL_EVENTFD, "KVM_HOSTCALL_EVENTFD");
_Static_assert(sizeof(struct kvm_hostcall_eventfd) ==
	       sizeof(struct hdr_kvm_hostcall_eventfd), "struct size");
_Static_assert(SAME(token) && SAME(session) && SAME(fd) && SAME(flags),
	       "struct kvm_hostcall_eventfd fields");
EOF
	die "hostcall_kvm.h and the patch disagree on KVM_HOSTCALL_EVENTFD (see above)"

# ---- Modules ----------------------------------------------------------------
log "building modules for $KVER"
make -C "$KDIR" M="$OUT/src/arch/x86/kvm" -j"$JOBS" \
	CONFIG_KVM=m CONFIG_KVM_AMD=m CONFIG_KVM_INTEL=m modules ||
	die "module build failed"

for m in kvm kvm-amd kvm-intel; do
	ko=$OUT/src/arch/x86/kvm/$m.ko
	[ -f "$ko" ] || die "$ko was not built"
	if [ ! -f "$OUT/$m.ko" ] || [ "$ko" -nt "$OUT/$m.ko" ]; then
		strip --strip-debug -o "$OUT/$m.ko.tmp" "$ko"
		mv "$OUT/$m.ko.tmp" "$OUT/$m.ko"
	fi
done
vermagic=$(modinfo -F vermagic "$OUT/kvm.ko" 2>/dev/null || true)
case "$vermagic" in
"$KVER "*) ;;
*) die "kvm.ko has vermagic '$vermagic', expected $KVER" ;;
esac

# ---- Standalone selftest ------------------------------------------------------
TEST_SRC=("$HERE"/selftest/*.c)
TEST_DEPS=("${TEST_SRC[@]}" "$HERE"/selftest/*.h "$HERE/hostcall_kvm.h"
	"$TOP/guest-lib/include/hostcall_abi.h")
rebuild=0
[ -x "$OUT/hostcall_test" ] || rebuild=1
for f in "${TEST_DEPS[@]}"; do
	if [ "$f" -nt "$OUT/hostcall_test" ]; then rebuild=1; fi
done
if [ $rebuild = 1 ]; then
	log "building hostcall_test (static)"
	gcc -static -O2 -Wall -Wextra -I "$HERE" -I "$TOP/guest-lib/include" \
		-o "$OUT/hostcall_test.tmp" "${TEST_SRC[@]}" ||
		die "hostcall_test build failed (static linking needs libc6-dev)"
	mv "$OUT/hostcall_test.tmp" "$OUT/hostcall_test"
fi

{
	echo "kernel_release=$KVER"
	echo "kernel_version=$KVERSION"
	echo "kdir=$KDIR"
	echo "source=$SRC_ID"
	for p in "${PATCHES[@]}"; do
		echo "patch=$(basename "$p") $(sha256sum < "$p" | cut -d' ' -f1)"
	done
} > "$OUT/build-info.tmp"
mv "$OUT/build-info.tmp" "$OUT/build-info"
log "done: $OUT/{kvm.ko,kvm-amd.ko,kvm-intel.ko,hostcall_test}"
