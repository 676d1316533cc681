#!/usr/bin/env bats
# Bring-up and teardown: nothing left behind, crashes, bad input, several
# simulations side by side.

load helpers

setup() {
	require_root
	PREFIX=kt-lc-$$-$BATS_TEST_NUMBER
	TMP=$(mktemp -d)
}

teardown() {
	[ "$(id -u)" -eq 0 ] || return 0
	for s in "$PREFIX" "$PREFIX-a" "$PREFIX-b"; do
		"$KNETSIM" down --name "$s" -q || true
	done
	rm -rf "$TMP"
}

@test "down leaves no namespace, link, process, mount or state behind" {
	small_topology "$TMP/t.yaml" "$PREFIX"
	run ks up -t "$TMP/t.yaml" -q
	[ "$status" -eq 0 ]
	pids=$(sim_pids "$PREFIX")
	[ -n "$pids" ]
	[ "$(ip netns list | grep -c "^$PREFIX:")" -eq 4 ]   # fabric + 3 nodes
	run ks down --name "$PREFIX"
	[ "$status" -eq 0 ]
	[[ "$output" == *"down"* ]]
	assert_gone "$PREFIX" "$pids"
	# and again: idempotent
	run ks down --name "$PREFIX"
	[ "$status" -eq 0 ]
}

@test "a crashed up (kill -9 midway) is cleaned by down, without the topology file" {
	small_topology "$TMP/t.yaml" "$PREFIX"
	"$KNETSIM" up -t "$TMP/t.yaml" -q 3>&- &
	local up=$! i
	# Kill it once etcd has been started but before the cluster is ready.
	for i in $(seq 200); do
		grep -q '^proc etcd' "/run/knetsim/$PREFIX/state" 2>/dev/null && break
		sleep 0.02
	done
	kill -9 "$up"
	wait "$up" || true
	grep -q '^proc etcd' "/run/knetsim/$PREFIX/state"
	pids=$(awk '$1=="proc"{print $4}' "/run/knetsim/$PREFIX/state")
	rm -f "$TMP/t.yaml"
	run ks down --name "$PREFIX"
	[ "$status" -eq 0 ]
	assert_gone "$PREFIX" "$pids"
}

@test "a failing up rolls back and names the step" {
	# etcd cannot start: its data directory is a file, so the cluster never
	# becomes healthy... simulate with an etcd that exits at once.
	mkdir -p "$TMP/bin"
	printf '#!/bin/sh\necho "etcd: refusing to start (test)" >&2\nexit 1\n' > "$TMP/bin/etcd"
	chmod +x "$TMP/bin/etcd"
	small_topology "$TMP/t.yaml" "$PREFIX"
	PATH="$TMP/bin:$PATH" run ks up -t "$TMP/t.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"etcd"* ]]
	[[ "$output" == *"rolled back"* ]]
	assert_gone "$PREFIX"
}

@test "bad topology input builds nothing" {
	small_topology "$TMP/t.yaml" "$PREFIX" "    colour: blue"
	run ks up -t "$TMP/t.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$TMP/t.yaml:"*"colour"* ]]
	assert_gone "$PREFIX"
	run ks up -t "$TMP/missing.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing.yaml"* ]]
	run ks up -t "$TMP/t.yaml" --name 'bad/name'
	[ "$status" -eq 1 ]
}

@test "two simulations run side by side without clashing" {
	small_topology "$TMP/a.yaml" "$PREFIX-a"
	small_topology "$TMP/b.yaml" "$PREFIX-b"
	run ks up -t "$TMP/a.yaml" -q
	[ "$status" -eq 0 ]
	run ks up -t "$TMP/b.yaml" -q
	[ "$status" -eq 0 ]
	# The same addresses exist in both, isolated from each other.
	ks exec --name "$PREFIX-a" Aw1 -- ping -c 1 -W 2 10.0.0.2
	ks exec --name "$PREFIX-b" Aw1 -- ping -c 1 -W 2 10.0.0.2
	run ks status -j
	[ "$(jq "[.simulations[] | select(.name==\"$PREFIX-a\" or .name==\"$PREFIX-b\")] | length" <<<"$output")" -eq 2 ]
	pids=$(sim_pids "$PREFIX-a")
	run ks down --name "$PREFIX-a"
	[ "$status" -eq 0 ]
	assert_gone "$PREFIX-a" "$pids"
	# b is untouched
	ks exec --name "$PREFIX-b" Aw2 -- ping -c 1 -W 2 10.0.0.1
	run ks status --name "$PREFIX-b" -j
	[ "$(jq '[.simulations[0].nodes[].processes[] | select(.alive|not)] | length' <<<"$output")" -eq 0 ]
	[ "$(jq '[.simulations[0].nodes[].processes[]] | length' <<<"$output")" -eq 3 ]   # etcd, 2 agents
}

@test "commands without --name pick the only simulation, or ask" {
	small_topology "$TMP/a.yaml" "$PREFIX-a"
	ks up -t "$TMP/a.yaml" -q
	if [ "$(ls /run/knetsim | wc -l)" -eq 1 ]; then
		run ks exec Aw1 -- true
		[ "$status" -eq 0 ]
	fi
	small_topology "$TMP/b.yaml" "$PREFIX-b"
	ks up -t "$TMP/b.yaml" -q
	run ks exec Aw1 -- true
	[ "$status" -eq 1 ]
	[[ "$output" == *"choose one with --name"* ]]
}
