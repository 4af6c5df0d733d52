#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# System test of ipiped in the full Debian guest of scripts/ipipe-vm --debian
# --net: installed as an operator installs it, run by systemd, driven over
# the NIC's wire port (on the host, 10.0.2.2:PORT) by ipipe-probe while
# actors move between the NIC and the host.  TAP output.
# Usage: ipiped_system.sh WIRE_PORT
# Expects in the current directory: ipipe.ko, 60-ipipe.rules,
# ipiped.service, ipipe.conf (sysusers), ipiped, ipipectl, ipipe-probe,
# lib.sh.

ALL_TESTS="ipiped_starts_under_systemd thresholds_read_back_from_the_firmware
	actors_answer_where_they_start actors_move_under_load_and_lose_nothing
	a_bad_reload_changes_nothing stop_sends_host_actors_home
	kill_9_is_restarted_and_the_nic_kept_serving
	kill_9_with_an_actor_on_the_host_loses_no_acknowledged_state stop_is_clean"
NIC=10.0.2.2:$1
PREFIX=ipiped
. ./lib.sh

# probe ACTOR COUNT [ARGS]: JSON result of ipipe-probe on a counter actor.
probe() {
	a=$1
	n=$2
	shift 2
	ipipe-probe -t "$NIC" -a "$a" -k counter -n "$n" -j "$@"
}

# jqv JSON FILTER: one value.
jqv() { echo "$1" | jq -r "$2"; }

# wait_for CMD...: up to 20 s for CMD to succeed.
wait_for() {
	i=0
	while [ $i -lt 200 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

location() { ipipectl -j actor show "$1" | jq -r '.actor.location'; }
is_at() { [ "$(location "$1")" = "$2" ]; }
prop() { systemctl show -P "$1" ipiped; }

write_config() {
	cat >/etc/ipipe/ipiped.conf <<CONF
[daemon]
workers = 2
busy_poll_us = 50
# The guest runs under TCG: a vCPU the host preempts looks to the guest
# like a handler that ran. Budgets are tested elsewhere.
handler_budget_ms = 5000
[[device]]
path = "/dev/ipipe0"
[params]
alpha_permille = 300
# The test moves actors itself: the policy must not (it would under TCG).
mean_thresh_ns = 1000000000
[[actor]]
type = "counter"
id = 1
mem_quota = "64K"
[[actor]]
type = "counter"
id = 2
location = "host"
mem_quota = "64K"
pinned = true   # the policy would pull it to the idle NIC at once
$1
CONF
}

setup_prepare() {
	install -D -m 0644 ipipe.ko "/lib/modules/$(uname -r)/updates/ipipe.ko"
	install -D -m 0644 60-ipipe.rules /etc/udev/rules.d/60-ipipe.rules
	install -D -m 0644 ipipe.conf /usr/lib/sysusers.d/ipipe.conf
	install -D -m 0644 ipiped.service /etc/systemd/system/ipiped.service
	install -m 0755 ipiped ipipectl /usr/sbin/
	install -m 0755 ipipe-probe /usr/bin/
	mkdir -p /etc/ipipe
	write_config ""
	systemd-sysusers
	depmod -a
	udevadm control --reload
	systemctl daemon-reload
	dev=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
	ip link set "$dev" up
	ip addr add 10.0.2.15/24 dev "$dev"
	modprobe ipipe
	udevadm settle
}

cleanup() {
	systemctl stop ipiped 2>/dev/null
	modprobe -r ipipe 2>/dev/null
}

ipiped_starts_under_systemd() {
	RET=0
	systemctl start ipiped
	check_err $? "systemctl start ipiped failed: $(journalctl -u ipiped --no-pager | tail -n 5)"
	[ "$(systemctl is-active ipiped)" = active ]
	check_err $? "ipiped is $(systemctl is-active ipiped)"
	# Type=notify: active means READY=1 came; the STATUS line is ours.
	prop StatusText | grep -q 'NIC(s)'
	check_err $? "no STATUS from ipiped: '$(prop StatusText)'"
	[ "$(prop User)" = ipiped ]
	check_err $? "runs as '$(prop User)'"
	log_test ipiped_starts_under_systemd
}

thresholds_read_back_from_the_firmware() {
	RET=0
	attr=$(echo /sys/bus/pci/drivers/ipipe/*/tail_thresh_ns)
	echo 61000 >"$attr"
	check_err $? "sysfs write failed"
	ipipectl params set ipipe0 mean_thresh_ns 31000
	check_err $? "ipipectl params set failed"
	p=$(ipipectl -j params show ipipe0)
	[ "$(jqv "$p" '.params[0].tail_thresh_ns')" = 61000 ]
	check_err $? "tail_thresh_ns reads back $(jqv "$p" '.params[0].tail_thresh_ns')"
	[ "$(jqv "$p" '.params[0].mean_thresh_ns')" = 31000 ]
	check_err $? "mean_thresh_ns reads back $(jqv "$p" '.params[0].mean_thresh_ns')"
	# ipiped pushed [params] over netlink at start
	[ "$(jqv "$p" '.params[0].alpha_permille')" = 300 ]
	check_err $? "alpha_permille from ipiped.conf reads $(jqv "$p" '.params[0].alpha_permille')"
	[ "$(cat "$(echo /sys/bus/pci/drivers/ipipe/*/mean_thresh_ns)")" = 31000 ]
	check_err $? "sysfs does not show the netlink value"
	ipipectl params set ipipe0 mean_thresh_ns 1000000000
	log_test thresholds_read_back_from_the_firmware
}

actors_answer_where_they_start() {
	RET=0
	is_at 1 nic
	check_err $? "actor 1 is at $(location 1)"
	is_at 2 host
	check_err $? "actor 2 is at $(location 2)"
	for a in 1 2; do
		r=$(probe $a 50)
		check_err $? "actor $a: $r"
		[ "$(jqv "$r" .first)" = 1 ] && [ "$(jqv "$r" .last)" = 50 ]
		check_err $? "actor $a counted $(jqv "$r" .first)..$(jqv "$r" .last), not 1..50"
	done
	log_test actors_answer_where_they_start
}

actors_move_under_load_and_lose_nothing() {
	RET=0
	probe 1 400 -i 5 >/tmp/load1.json &
	load=$!
	sleep 0.3
	ipipectl actor migrate ipipe0 1 --to host
	check_err $? "migrate to the host refused"
	wait_for is_at 1 host
	check_err $? "actor 1 never reached the host (at $(location 1))"
	sleep 0.5
	ipipectl actor migrate ipipe0 1 --to nic
	check_err $? "migrate back refused"
	wait_for is_at 1 nic
	check_err $? "actor 1 never came back (at $(location 1)): $(journalctl -u ipiped -p warning \
		--no-pager -q | tail -n 3)"
	wait $load
	r=$(cat /tmp/load1.json)
	[ "$(jqv "$r" .answered)" = 400 ] && [ "$(jqv "$r" .regressions)" = 0 ] &&
		[ "$(jqv "$r" .skips)" = 0 ] && [ "$(jqv "$r" .errors)" = 0 ]
	check_err $? "under migration: $r"
	[ "$(jqv "$r" .first)" = 51 ] && [ "$(jqv "$r" .last)" = 450 ]
	check_err $? "counted $(jqv "$r" .first)..$(jqv "$r" .last), not 51..450"
	[ "$(ipipectl -j actor show ipipe0 1 | jq -r '.actor.migrations')" -ge 2 ]
	check_err $? "migrations not counted"
	log_test actors_move_under_load_and_lose_nothing
}

a_bad_reload_changes_nothing() {
	RET=0
	write_config "[[actor]]
type = \"counter\"
location = \"disk\"
mem_quota = 1"
	systemctl reload ipiped
	sleep 0.5
	[ "$(systemctl is-active ipiped)" = active ]
	check_err $? "a bad file took ipiped down"
	line=$(grep -n 'location = "disk"' /etc/ipipe/ipiped.conf | cut -d: -f1)
	journalctl -u ipiped --no-pager | grep -q "ipiped.conf:$line: actor\[2\].location"
	check_err $? "the error does not name the line and key"
	write_config ""
	r=$(probe 2 5)
	[ "$(jqv "$r" .first)" = 51 ]
	check_err $? "host actor after the reload: $r"
	log_test a_bad_reload_changes_nothing
}

stop_sends_host_actors_home() {
	RET=0
	systemctl stop ipiped
	check_err $? "stop failed"
	is_at 2 nic
	check_err $? "actor 2 is at $(location 2) after the daemon stopped"
	r=$(probe 2 5)
	[ "$(jqv "$r" .first)" = 56 ] && [ "$(jqv "$r" .last)" = 60 ]
	check_err $? "actor 2 without the daemon: $r"
	systemctl start ipiped
	check_err $? "restart failed"
	journalctl -u ipiped --no-pager | grep -q 'adopted'
	check_err $? "the new ipiped did not adopt the actors"
	log_test stop_sends_host_actors_home
}

# crash_under_load OUT TIMEOUT_MS: kill -9 ipiped while ipipe-probe counts
# 300 on actor 1 into OUT; waits for systemd's restart and the probe.
crash_under_load() {
	before=$(prop NRestarts)
	probe 1 300 -i 5 --timeout-ms "$2" >"$1" &
	load=$!
	sleep 0.3
	kill -9 "$(prop MainPID)"
	wait_for sh -c "[ \"\$(systemctl show -P NRestarts ipiped)\" -gt $before ] &&
		[ \"\$(systemctl is-active ipiped)\" = active ]"
	check_err $? "systemd did not restart ipiped ($(prop NRestarts) restarts, $(systemctl is-active ipiped))"
	wait $load
}

kill_9_is_restarted_and_the_nic_kept_serving() {
	RET=0
	crash_under_load /tmp/load2.json 2000
	r=$(cat /tmp/load2.json)
	[ "$(jqv "$r" .regressions)" = 0 ] && [ "$(jqv "$r" .errors)" = 0 ] &&
		[ "$(jqv "$r" .first)" = 451 ]
	check_err $? "across the crash: $r"
	r2=$(probe 1 1)
	[ "$(jqv "$r2" .first)" -gt "$(jqv "$r" .last)" ]
	check_err $? "acknowledged count $(jqv "$r" .last), then $(jqv "$r2" .first)"
	log_test kill_9_is_restarted_and_the_nic_kept_serving
}

# The NIC rebuilds an actor it had pushed from the image it kept and the
# requests it forwarded since: every count the client saw stands, none
# repeats, and the requests the dead daemon never answered are answered.
kill_9_with_an_actor_on_the_host_loses_no_acknowledged_state() {
	RET=0
	ipipectl actor migrate ipipe0 1 --to host
	check_err $? "migrate to the host refused"
	wait_for is_at 1 host
	check_err $? "actor 1 never reached the host (at $(location 1))"
	first=$(jqv "$(probe 1 1)" .first)
	crash_under_load /tmp/load3.json 5000
	r=$(cat /tmp/load3.json)
	[ "$(jqv "$r" .answered)" = 300 ] && [ "$(jqv "$r" .errors)" = 0 ] &&
		[ "$(jqv "$r" .regressions)" = 0 ] && [ "$(jqv "$r" .skips)" = 0 ]
	check_err $? "across the crash: $r"
	[ "$(jqv "$r" .first)" = $((first + 1)) ] && [ "$(jqv "$r" .last)" = $((first + 300)) ]
	check_err $? "counted $(jqv "$r" .first)..$(jqv "$r" .last) after $first"
	is_at 1 nic
	check_err $? "actor 1 is at $(location 1), not rebuilt on the NIC"
	s=$(ipipectl -j -s dev show ipipe0)
	[ "$(jqv "$s" '.devices[0].stats.actors_recovered')" -ge 1 ]
	check_err $? "no recovery counted: $(jqv "$s" '.devices[0].stats')"
	clean_since=$(date +%s)
	log_test kill_9_with_an_actor_on_the_host_loses_no_acknowledged_state
}

stop_is_clean() {
	RET=0
	systemctl stop ipiped
	check_err $? "stop failed"
	[ "$(prop Result)" = success ]
	check_err $? "result $(prop Result)"
	# The bad reload above logged one on purpose; nothing since the crash.
	errs=$(journalctl -u ipiped -p err --no-pager -q --since "@${clean_since:-0}")
	[ -z "$errs" ]
	check_err $? "error-priority messages: $errs"
	log_test stop_is_clean
}

trap cleanup EXIT
setup_prepare
run_tests
