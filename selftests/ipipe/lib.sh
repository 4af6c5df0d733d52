# SPDX-License-Identifier: GPL-2.0
# What the guest system tests share, in the netdevsim selftests' manner:
# each test sets RET=0, follows every step with check_err, and ends with
# log_test. Sourced after the test sets PREFIX ("debian", "ipiped") and
# ALL_TESTS; run_tests then runs them all with TAP output.

num=0
rc=0

# check_err STATUS MESSAGE: a failed step fails the test, saying why.
check_err() {
	if [ "$1" -ne 0 ]; then
		echo "# $2"
		RET=1
	fi
}

# log_test NAME: the test's TAP line.
log_test() {
	num=$((num + 1))
	if [ "$RET" -eq 0 ]; then
		echo "ok $num $PREFIX.$1"
	else
		echo "not ok $num $PREFIX.$1"
		rc=1
	fi
}

# run_tests: the plan, every test of ALL_TESTS in order, the exit status.
run_tests() {
	echo "TAP version 13"
	echo "1..$(echo $ALL_TESTS | wc -w)"
	for t in $ALL_TESTS; do
		$t
	done
	exit $rc
}
