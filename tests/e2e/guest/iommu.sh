# The driver behind a virtual IOMMU (QEMU's intel-iommu, translated DMA
# domain); run inside the guest by tests/e2e/run-signals.sh.
. /tests/lib.sh
cd /tmp
if ! dmesg | grep -q 'Default domain type: Translated'; then
	echo "SKIP: iommu: the guest kernel did not put the device in a translated DMA domain"
	exit 0
fi
expect "iommu: the driver binds behind the IOMMU" test -c /dev/hostcall
dd if=/dev/urandom of=/tmp/d bs=1M count=16 2>/dev/null
want=$(sha256sum < /tmp/d | cut -d' ' -f1)
got=$(hostcall exec -- cat < /tmp/d | sha256sum | cut -d' ' -f1)
[ "$want" = "$got" ] && pass "iommu: 16 MiB through host cat and back intact" ||
	fail "iommu: 16 MiB through host cat and back intact ($want vs $got)"
# stream fds (the window is BAR2, not DMA: nothing to translate; the
# control ring still is DMA behind the IOMMU)
$T/hc-stream | sed 's/^\(PASS\|FAIL\): stream:/\1: iommu: stream:/'
faults=$(dmesg | grep -c 'DMAR.*fault')
[ "$faults" = 0 ] && pass "iommu: no DMA fault" || fail "iommu: $faults DMA faults: $(dmesg | grep 'DMAR.*fault' | head -2)"
echo "iommu: $fails failure(s)"
