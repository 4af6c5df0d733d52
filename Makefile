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
	@if [ -f kmod/Kbuild ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod W=1 modules; \
	fi

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
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)
	@if [ -f kmod/ipipe.ko ]; then \
		install -D -m 0644 kmod/ipipe.ko \
			$(DESTDIR)/lib/modules/$(KVER)/updates/ipipe.ko; \
	fi

clean:
	rm -rf $(BUILD) build-asan build-tsan
	@if [ -f kmod/Kbuild ] && [ -d $(KDIR) ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean; \
	fi

help:
	@echo "make [all|check|vm-check|bench|run|vm-run|install|clean] [KVER=...]"
