# ipipe top-level Makefile: userspace through CMake, the kernel module
# through Kbuild against Debian's 6.1 kernel (KVER, never `uname -r`).

KVER	?= $(shell scripts/kver)
KDIR	?= /lib/modules/$(KVER)/build
BUILD	?= build
PREFIX	?= /usr
DESTDIR	?=
JOBS	?= $(shell nproc)

.PHONY: all userspace kmod check vm-check bench run vm-run install clean help

all: userspace kmod

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_INSTALL_PREFIX=$(PREFIX)

userspace: $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

kmod:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod W=1 modules

# Every test: unit, ASan+UBSan, TSan and the VM suites. Ends with
# "N passed, N failed".
check:
	scripts/run-tests

vm-check:
	scripts/run-tests --only vm

bench: userspace
	scripts/run-bench $(BUILD)

run: userspace
	scripts/ipipe-run

vm-run: all
	scripts/ipipe-run --vm

install: all
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)
	install -D -m 0644 kmod/ipipe.ko $(DESTDIR)/lib/modules/$(KVER)/updates/ipipe.ko
	install -D -m 0644 etc/udev/rules.d/60-ipipe.rules \
		$(DESTDIR)/lib/udev/rules.d/60-ipipe.rules
	install -D -m 0644 etc/modprobe.d/ipipe.conf \
		$(DESTDIR)$(PREFIX)/share/doc/ipipe/modprobe.d/ipipe.conf
	install -D -m 0644 uapi/linux/ipipe.h $(DESTDIR)$(PREFIX)/include/linux/ipipe.h
	install -D -m 0644 etc/ipipe/ipiped.conf $(DESTDIR)$(PREFIX)/share/doc/ipipe/ipiped.conf
	install -D -m 0644 etc/systemd/system/ipiped.service \
		$(DESTDIR)/lib/systemd/system/ipiped.service
	install -D -m 0644 etc/sysusers.d/ipipe.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/ipipe.conf
	@# The example becomes the configuration only where there is none yet.
	@if [ ! -e $(DESTDIR)/etc/ipipe/ipiped.conf ]; then \
		install -D -m 0644 etc/ipipe/ipiped.conf $(DESTDIR)/etc/ipipe/ipiped.conf; fi
	@if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

clean:
	rm -rf $(BUILD) build-asan build-tsan
	@if [ -d $(KDIR) ]; then $(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean; fi

help:
	@echo "make [all|check|vm-check|bench|run|vm-run|install|clean] [KVER=...]"
