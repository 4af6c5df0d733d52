#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# System checks in the full Debian guest of scripts/ipipe-vm --debian:
# modprobe with parameters, the udev rule, sysfs write-through, ipipectl
# against the real kernel, unloading.  Expects ipipe.ko, 60-ipipe.rules,
# ipipectl and lib.sh in the current directory. TAP output.

ALL_TESTS="modprobe_loads_the_module udev_gives_the_node_to_group_ipipe
	module_parameters_reach_the_firmware sysfs_writes_through_and_checks_ranges
	ipipectl_status_is_json thresholds_set_by_sysfs_and_ipipectl_read_back
	ipipectl_shows_the_kernels_reason_and_exits_1 ipipectl_bad_arguments_exit_2
	ipipectl_lists_actors modprobe_r_unloads ipipectl_without_the_module_exits_1"
PREFIX=debian
. ./lib.sh

dev_attr() {
	echo /sys/bus/pci/drivers/ipipe/*/"$1"
}

setup_prepare() {
	install -D -m 0644 ipipe.ko "/lib/modules/$(uname -r)/updates/ipipe.ko"
	install -D -m 0644 60-ipipe.rules /etc/udev/rules.d/60-ipipe.rules
	install -D -m 0755 ipipectl /usr/local/sbin/ipipectl
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

ipipectl_status_is_json() {
	RET=0
	out=$(ipipectl -j status)
	check_err $? "ipipectl -j status failed"
	echo "$out" | jq -e '.devices[0].dev == "ipipe0" and .devices[0].fw_state == "ready"
		and (.devices[0].nic_cores > 0) and (.devices[0].actors >= 0)' >/dev/null
	check_err $? "unexpected status: $out"
	ipipectl status | grep -q '^ipipe0: .* ready cores [0-9]* actors [0-9]*$'
	check_err $? "text status: $(ipipectl status)"
	log_test ipipectl_status_is_json
}

thresholds_set_by_sysfs_and_ipipectl_read_back() {
	RET=0
	echo 47000 >"$(dev_attr tail_thresh_ns)"
	check_err $? "sysfs write of tail_thresh_ns failed"
	ipipectl params set ipipe0 mean_thresh_ns 31000
	check_err $? "ipipectl params set failed"
	# both read back from the firmware, through both interfaces
	[ "$(cat "$(dev_attr tail_thresh_ns)")" = 47000 ]
	check_err $? "sysfs tail_thresh_ns is $(cat "$(dev_attr tail_thresh_ns)")"
	[ "$(cat "$(dev_attr mean_thresh_ns)")" = 31000 ]
	check_err $? "sysfs mean_thresh_ns is $(cat "$(dev_attr mean_thresh_ns)")"
	out=$(ipipectl -j params show ipipe0)
	[ "$(echo "$out" | jq '.params[0].tail_thresh_ns')" = 47000 ]
	check_err $? "ipipectl tail_thresh_ns: $out"
	[ "$(echo "$out" | jq '.params[0].mean_thresh_ns')" = 31000 ]
	check_err $? "ipipectl mean_thresh_ns: $out"
	log_test thresholds_set_by_sysfs_and_ipipectl_read_back
}

ipipectl_shows_the_kernels_reason_and_exits_1() {
	RET=0
	# the netlink policy's range
	out=$(ipipectl params set ipipe0 tail_thresh_ns 10 2>&1)
	[ $? -eq 1 ]
	check_err $? "out-of-range tail_thresh_ns did not exit 1: $out"
	echo "$out" | grep -q '^ipipectl: params set: tail_thresh_ns: integer out of range'
	check_err $? "no extack text: $out"
	# the driver's own check, after the policy
	out=$(ipipectl params set ipipe0 fcfs_cores 4000 2>&1)
	[ $? -eq 1 ]
	check_err $? "fcfs_cores 4000 did not exit 1: $out"
	echo "$out" | grep -q 'more FCFS cores than the NIC has (Invalid argument)'
	check_err $? "no extack text: $out"
	out=$(ipipectl actor migrate ipipe0 42 --to host 2>&1)
	[ $? -eq 1 ]
	check_err $? "migrating an unknown actor did not exit 1: $out"
	echo "$out" | grep -q 'no such actor on this device'
	check_err $? "no extack text: $out"
	out=$(ipipectl dev show ipipe7 2>&1)
	[ $? -eq 1 ]
	check_err $? "an unknown device did not exit 1: $out"
	echo "$out" | grep -q 'no such ipipe device'
	check_err $? "no extack text: $out"
	[ "$(cat "$(dev_attr tail_thresh_ns)")" = 47000 ]
	check_err $? "a rejected set changed tail_thresh_ns"
	log_test ipipectl_shows_the_kernels_reason_and_exits_1
}

ipipectl_bad_arguments_exit_2() {
	RET=0
	for args in "params set ipipe0 tail_thresh_ns abc" "params set ipipe0 tail 5" \
		"frobnicate" "params flush" "actor migrate 5 --to disk" "dev show eth0"; do
		# shellcheck disable=SC2086
		ipipectl $args >/dev/null 2>&1
		status=$?
		[ $status -eq 2 ]
		check_err $? "ipipectl $args exited $status, not 2"
	done
	log_test ipipectl_bad_arguments_exit_2
}

ipipectl_lists_actors() {
	RET=0
	ipipectl -j actor list | jq -e '.actors | type == "array"' >/dev/null
	check_err $? "ipipectl -j actor list: $(ipipectl -j actor list 2>&1)"
	ipipectl -j -s dev show | jq -e '.devices[0].bus | test(":")' >/dev/null
	check_err $? "ipipectl -j -s dev show: $(ipipectl -j -s dev show 2>&1)"
	out=$(ipipectl -j top -i 0.2 -n 2)
	check_err $? "ipipectl top failed"
	[ "$(echo "$out" | jq -s 'length')" = 2 ]
	check_err $? "ipipectl -j top -n 2 did not print two frames: $out"
	echo "$out" | jq -e '.interval_s == 0.2 and (.actors | type == "array")' >/dev/null
	check_err $? "unexpected top frame: $out"
	# joins the events group of the real family, then stops at once
	ipipectl -j events -n 0
	check_err $? "ipipectl events could not join the events group"
	log_test ipipectl_lists_actors
}

ipipectl_without_the_module_exits_1() {
	RET=0
	out=$(ipipectl status 2>&1)
	[ $? -eq 1 ]
	check_err $? "ipipectl status without ipipe.ko did not exit 1: $out"
	echo "$out" | grep -q 'is ipipe.ko loaded?'
	check_err $? "no hint: $out"
	log_test ipipectl_without_the_module_exits_1
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
run_tests
