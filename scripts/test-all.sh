#!/usr/bin/env bash
# The README's suite command (`pnpm test:all`): build, typecheck and lint two tasks at a time, then the
# test suites ONE package at a time. The suites drive real peers (sipp, kamailio, baresip, linphone,
# Chromium) whose own retransmission timers do not stretch when two suites share two cores: a dispatcher
# probe or a sipp timer that expires under that load fails a call that is correct. Every phase runs to
# the end (`--continue`); the exit status is the first failure's.
set -u
status=0
turbo run build typecheck lint --continue --concurrency=2 || status=$?
turbo run test --continue --concurrency=1 || { s=$?; [ "$status" -eq 0 ] && status=$s; }
exit "$status"
