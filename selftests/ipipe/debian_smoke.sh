#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# System checks in the full Debian guest of scripts/ipipe-vm --debian:
# modprobe with parameters, the udev rule, sysfs write-through, unloading.
# Expects ipipe.ko and 60-ipipe.rules in the current directory. TAP output.

ALL_TESTS="modprobe_loads_the_module udev_gives_the_node_to_group_ipipe
	module_parameters_reach_the_firmware sysfs_writes_through_and_checks_ranges
	modprobe_r_unloads"
num=0
rc=0

check_err() {
	if [ "$1" -ne 0 ]; then
		echo "# $2"
		RET=1
	fi
}

log_test() {
	num=$((num + 1))
	if [ "$RET" -eq 0 ]; then
		echo "ok $num debian.$1"
	else
		echo "not ok $num debian.$1"
		rc=1
	fi
}

dev_attr() {
	echo /sys/bus/pci/drivers/ipipe/*/"$1"
}

setup_prepare() {
	install -D -m 0644 ipipe.ko "/lib/modules/$(uname -r)/updates/ipipe.ko"
	install -D -m 0644 60-ipipe.rules /etc/udev/rules.d/60-ipipe.rules
	getent group ipipe >/dev/null || groupadd -r ipipe
	depmod -a
	udevadm control --reload
}

cleanup() {
	modprobe -r ipipe 2>/dev/null
}

modprobe_loads_the_module() {
	RET=0
	modprobe ipipe tail_thresh_ns=60000
	check_err $? "modprobe failed"
	udevadm settle
	test -c /dev/ipipe0
	check_err $? "no /dev/ipipe0"
	log_test modprobe_loads_the_module
}

udev_gives_the_node_to_group_ipipe() {
	RET=0
	[ "$(stat -c %G:%a /dev/ipipe0)" = "ipipe:660" ]
	check_err $? "/dev/ipipe0 is $(stat -c %G:%a /dev/ipipe0), not ipipe:660"
	log_test udev_gives_the_node_to_group_ipipe
}

module_parameters_reach_the_firmware() {
	RET=0
	[ "$(cat "$(dev_attr tail_thresh_ns)")" = 60000 ]
	check_err $? "tail_thresh_ns is $(cat "$(dev_attr tail_thresh_ns)"), not 60000"
	log_test module_parameters_reach_the_firmware
}

sysfs_writes_through_and_checks_ranges() {
	RET=0
	echo 45000 >"$(dev_attr tail_thresh_ns)"
	check_err $? "write 45000 failed"
	[ "$(cat "$(dev_attr tail_thresh_ns)")" = 45000 ]
	check_err $? "read back $(cat "$(dev_attr tail_thresh_ns)")"
	echo 10 >"$(dev_attr tail_thresh_ns)" 2>/dev/null
	[ $? -ne 0 ]
	check_err $? "tail_thresh_ns=10 was accepted"
	journalctl -k -b --no-pager | grep -q "tail_thresh_ns: tail threshold out of range"
	check_err $? "no reason logged for the rejected write"
	log_test sysfs_writes_through_and_checks_ranges
}

modprobe_r_unloads() {
	RET=0
	modprobe -r ipipe
	check_err $? "modprobe -r failed"
	udevadm settle
	[ ! -e /dev/ipipe0 ]
	check_err $? "/dev/ipipe0 still there"
	log_test modprobe_r_unloads
}

trap cleanup EXIT
setup_prepare
for t in $ALL_TESTS; do
	$t
done
exit $rc
