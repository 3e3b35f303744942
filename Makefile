# hostcall: the one entry point. `make run` boots the default guest,
# `make check` runs every test. Everything lands under build/.
SHELL := /bin/bash
.DEFAULT_GOAL := all

TOP   := $(CURDIR)
B     := $(TOP)/build
BIN   := $(B)/bin
STAMP := $(B)/stamp
SUDO  := $(if $(filter 0,$(shell id -u)),,sudo)

# Debian packages the build and the tests need (host side).
# The Debian guest (packages, image, printing scenario) and make install's
# checks need these too.
PKGS_DEBIAN := debootstrap e2fsprogs lintian dkms cups cups-bsd \
	printer-driver-cups-pdf poppler-utils
PKGS := gcc make patch rsync pkg-config ninja-build meson flex bison \
	libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev libcap-ng-dev \
	libattr1-dev liburing-dev libseccomp-dev libssl-dev libreadline-dev libncurses-dev \
	busybox-static seabios qemu-system-data cpio kmod dpkg-dev xz-utils \
	apt-utils tmux coreutils procps linux-source-6.1 gnuplot-nox \
	clang libclang-rt-14-dev openssl python3

.PHONY: debs debian-image install uninstall
.PHONY: all deps qemu kernel guest host image kvm-modules kvm-l1 run check check-kvm bench soak fuzz \
	clean distclean

all: image host

# ---- Debian packages and sources ---------------------------------------
# deb-src is derived from the machine's own apt configuration (no host named).
# $(call apt_install,PACKAGES): install those not yet installed
define apt_install
	@mkdir -p $(STAMP)
	@missing=; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null; then \
			echo "deps: not root and no sudo: install$$missing by hand" >&2; exit 1; fi; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq$$missing >/dev/null || \
		{ echo "deps: apt-get install failed for:$$missing" >&2; exit 1; }; \
	fi
	@touch $@
endef

$(STAMP)/deps: Makefile
	$(call apt_install,$(PKGS))

deps: $(STAMP)/deps

# ---- QEMU 7.2 from Debian's source package, patched --------------------
$(STAMP)/qemu-source: $(STAMP)/deps qemu-hostcall/fetch-source.sh
	bash qemu-hostcall/fetch-source.sh $(B)/src
	@touch $@

QEMU_INPUTS := $(shell find qemu-hostcall/files qemu-hostcall/patches -type f 2>/dev/null) \
	qemu-hostcall/build.sh guest-lib/include/hostcall_abi.h \
	shadowd/include/hostcall_proto.h shadowd/proto.c kvm-patch/hostcall_kvm.h
$(BIN)/qemu-system-x86_64: $(STAMP)/qemu-source $(QEMU_INPUTS)
	@mkdir -p $(BIN)
	bash qemu-hostcall/build.sh "$$(cat $(B)/src/qemu-dir)" $(B)/qemu
	cp $(B)/qemu/build/qemu-system-x86_64 $@.tmp && mv $@.tmp $@

qemu: $(BIN)/qemu-system-x86_64

# ---- Guest kernel: Debian's own, version resolved from linux-image-amd64 --
$(STAMP)/kernel: $(STAMP)/deps guest-lib/image/fetch-kernel.sh
	bash guest-lib/image/fetch-kernel.sh $(B)/kernel
	@touch $@

kernel: $(STAMP)/kernel
KVER = $(shell cat $(B)/kernel/version 2>/dev/null)

# ---- Host side: shadowd, the shadow, hcvm ------------------------------
HOST_SRCS := $(shell find shadowd qemu-hostcall/hcvm -name '*.[ch]' -o -name Makefile) \
	guest-lib/include/hostcall_abi.h
$(STAMP)/host: $(STAMP)/deps $(HOST_SRCS)
	$(MAKE) -C shadowd BUILD=$(B)/host
	$(MAKE) -C qemu-hostcall/hcvm BUILD=$(B)/host
	@mkdir -p $(BIN)
	for f in shadowd hostcall-shadow hcvm; do \
		cp $(B)/host/$$f $(BIN)/$$f.tmp && mv -f $(BIN)/$$f.tmp $(BIN)/$$f || exit 1; done
	@touch $@

host: $(STAMP)/host

# ---- Guest side: driver, libhostcall, tools, image ----------------------
GUEST_SRCS := $(shell find guest-lib dualsh qemu-hostcall/hcvm tests/guest -type f 2>/dev/null)
$(STAMP)/guest: $(STAMP)/kernel $(GUEST_SRCS)
	$(MAKE) -C guest-lib BUILD=$(B)/guest KDIR=/usr/src/linux-headers-$(KVER)
	$(MAKE) -C qemu-hostcall/hcvm BUILD=$(B)/guest agent
	$(MAKE) -C dualsh BUILD=$(B)/guest
	$(MAKE) -C tests/guest BUILD=$(B)/guest
	@touch $@

guest: $(STAMP)/guest

$(STAMP)/image: $(STAMP)/guest guest-lib/image/mkinitramfs.sh $(shell find tests/e2e -type f 2>/dev/null)
	bash guest-lib/image/mkinitramfs.sh $(B)/kernel $(B)/guest $(B)/image
	@touch $@

image: $(STAMP)/image $(BIN)/qemu-system-x86_64

# ---- The Debian guest: .debs from the tree, then the image ---------------
$(STAMP)/deps-debian: Makefile
	$(call apt_install,$(PKGS_DEBIAN))

DEBS_INPUTS := $(shell find guest-lib/debian guest-lib/driver guest-lib/lib guest-lib/tool \
	guest-lib/include dualsh -type f 2>/dev/null) guest-lib/Makefile \
	Documentation/hostcall.1 Documentation/dualsh.1 Documentation/hcnet.1
$(STAMP)/debs: $(STAMP)/deps-debian $(STAMP)/kernel $(DEBS_INPUTS)
	bash guest-lib/debian/mkdebs.sh $(B)/kernel $(B)/debs
	@touch $@

debs: $(STAMP)/debs

# Stage 1, debootstrap (network, minutes): cached until its scripts change
# (the deps only order it: an edit of this Makefile must not redo it).
DI := guest-lib/image/debian
$(STAMP)/debian-base: $(DI)/bootstrap.sh $(DI)/apt-source.sh | $(STAMP)/deps-debian
	bash $(DI)/bootstrap.sh $(B)/debian-image
	@touch $@

$(STAMP)/debian-image: $(STAMP)/debian-base $(STAMP)/debs $(STAMP)/guest $(DI)/build.sh \
		$(wildcard $(DI)/files/*)
	bash $(DI)/build.sh $(B)/debian-image $(B)/kernel $(B)/debs $(B)/guest
	@touch $@

# Needs root (debootstrap, chroot); `make check` skips the Debian suite
# without it.
debian-image: $(STAMP)/debian-image $(STAMP)/host $(BIN)/qemu-system-x86_64

# ---- kvm-patch: patched KVM modules for the guest kernel, and its selftest --
# (linux-source-6.1 comes with the deps; the headers with the kernel.)
KVM_INPUTS := $(shell find kvm-patch -type f 2>/dev/null) guest-lib/include/hostcall_abi.h
$(STAMP)/kvm-modules: $(STAMP)/kernel $(KVM_INPUTS)
	KVER=$(KVER) bash kvm-patch/build.sh $(B)/kvm
	@touch $@

kvm-modules: $(STAMP)/kvm-modules

# ---- The nested-KVM test's L1 guest (tests/e2e/kvm) ---------------------
$(STAMP)/kvm-l1: $(STAMP)/kvm-modules $(STAMP)/image $(STAMP)/host $(BIN)/qemu-system-x86_64 \
		$(shell find tests/e2e/kvm -type f 2>/dev/null)
	bash tests/e2e/kvm/mkl1.sh $(B) $(B)/kvm-l1
	@touch $@

kvm-l1: $(STAMP)/kvm-l1

# ---- The two commands --------------------------------------------------
run: all
	$(BIN)/hcvm run

# The Debian guest needs root to build; without it its suite SKIPs.
DEBIAN_IF_ROOT := $(if $(filter 0,$(shell id -u)),debian-image)
check: all kvm-l1 $(DEBIAN_IF_ROOT)
	@bash tests/run.sh $(B)

# Only the nested-KVM suite (part of `make check`).
check-kvm: all kvm-l1
	@bash tests/run.sh $(B) e2e-kvm

# hostcall beside virtio-serial, 9p, virtio-fs (virtiofsd built from the QEMU
# source, tests/bench/build-virtiofsd.sh), its sock module beside virtio-net on
# user-mode networking, in one guest; BENCH_QUICK=1: a smoke.
bench: all
	@bash tests/bench.sh $(B)

# The fuzzers (window, event queues, sock), long: `make fuzz FUZZ_TIME=600`
# (seconds each); make check runs a 90 s smoke of the three (the fuzz suite).
FUZZ_TIME ?= 600
fuzz:
	@$(MAKE) -s -C tests/fuzz BUILD=$(B)/tests/fuzz run FUZZ_TIME=$(FUZZ_TIME)

# Long fault/load run: `make soak DURATION=600` (seconds); make check runs
# the short version (e2e-faults).
DURATION ?= 600
soak: all
	@bash tests/soak.sh $(B) $(DURATION)

# ---- Host-side install: make install [PREFIX=/usr/local] [DESTDIR=] -------
# Everything runs from PREFIX/lib/hostcall/bin (hcvm and shadowd find QEMU,
# the shadow and the image next to themselves); PREFIX/bin/hcvm and
# PREFIX/sbin/shadowd are links there. The patched QEMU stays in that
# private directory, so it cannot shadow the distribution's QEMU; its
# firmware paths (../share/qemu, ../share/qemu-firmware) point at
# qemu-system-data's and seabios' files.
# The manifest lists what was installed; uninstall removes exactly that
# (the policy file only if it is still the unedited example).
PREFIX ?= /usr/local
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
HCLIB := $(PREFIX)/lib/hostcall
MANIFEST := $(DESTDIR)$(HCLIB)/install-manifest
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
# $(call inst,MODE,SRC,DEST): install one file and record it
inst = install -D -m $(1) $(2) $(DESTDIR)$(3) && echo $(3) >> $(MANIFEST).tmp
# $(call lnk,TARGET,DEST): a symlink, recorded
lnk = mkdir -p $(dir $(DESTDIR)$(2)) && ln -sfn $(1) $(DESTDIR)$(2) && echo $(2) >> $(MANIFEST).tmp

install: all
	@mkdir -p $(DESTDIR)$(HCLIB) && : > $(MANIFEST).tmp
	@$(call inst,0755,$(BIN)/qemu-system-x86_64,$(HCLIB)/bin/qemu-system-x86_64)
	@for f in hcvm shadowd hostcall-shadow; do $(call inst,0755,$(BIN)/$$f,$(HCLIB)/bin/$$f) || exit 1; done
	@$(call inst,0644,$(B)/host/modules/example.so,$(HCLIB)/modules/example.so)
	@$(call inst,0644,shadowd/include/hostcall_module.h,$(PREFIX)/include/hostcall/hostcall_module.h)
	@$(call inst,0644,$(B)/image/vmlinuz,$(HCLIB)/image/vmlinuz)
	@$(call inst,0644,$(B)/image/initrd.gz,$(HCLIB)/image/initrd.gz)
	@$(call lnk,/usr/share/qemu,$(HCLIB)/share/qemu)
	@$(call lnk,/usr/share/seabios,$(HCLIB)/share/qemu-firmware)
	@$(call lnk,../lib/hostcall/bin/hcvm,$(PREFIX)/bin/hcvm)
	@$(call lnk,../lib/hostcall/bin/shadowd,$(PREFIX)/sbin/shadowd)
	@for m in hcvm.1 hostcall.1 dualsh.1 shadowd.8; do \
		$(call inst,0644,Documentation/$$m,$(PREFIX)/share/man/man$${m##*.}/$$m) || exit 1; done
	@sed 's|@SBINDIR@|$(PREFIX)/sbin|g' shadowd/systemd/shadowd.service > $(B)/shadowd.service
	@$(call inst,0644,$(B)/shadowd.service,$(SYSTEMD_UNITDIR)/shadowd.service)
	@$(call inst,0644,shadowd/shadowd.conf.example,$(SYSCONFDIR)/hostcall/shadowd.conf.example)
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/hostcall/shadowd.conf ]; then \
		$(call inst,0644,shadowd/shadowd.conf.example,$(SYSCONFDIR)/hostcall/shadowd.conf); fi
	@echo $(HCLIB)/install-manifest >> $(MANIFEST).tmp
	@mv $(MANIFEST).tmp $(MANIFEST)
	@echo "install: $$(wc -l < $(MANIFEST)) files under $(DESTDIR)$(PREFIX) and $(DESTDIR)$(SYSCONFDIR)"

uninstall:
	@[ -f $(MANIFEST) ] || { echo "uninstall: no $(MANIFEST): nothing installed there" >&2; exit 1; }
	@conf=$(SYSCONFDIR)/hostcall/shadowd.conf; \
	while read -r f; do \
		if [ "$$f" = "$$conf" ] && ! cmp -s $(DESTDIR)$$f shadowd/shadowd.conf.example; then \
			echo "uninstall: keeping the edited $(DESTDIR)$$f"; continue; fi; \
		rm -f $(DESTDIR)$$f; \
		d=$$(dirname $(DESTDIR)$$f); \
		while [ "$$d" != "$(DESTDIR)$(PREFIX)" ] && [ "$$d" != "$(DESTDIR)" ] && [ "$$d" != / ] && \
			rmdir "$$d" 2>/dev/null; do d=$$(dirname "$$d"); done; \
	done < $(MANIFEST)

clean:
	rm -rf $(B)/host $(B)/guest $(B)/image $(B)/tests $(B)/kvm-l1 $(BIN) \
		$(STAMP)/host $(STAMP)/guest $(STAMP)/image $(STAMP)/kvm-l1

distclean:
	rm -rf $(B)
