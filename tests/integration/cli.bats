#!/usr/bin/env bats
# The CLI surface that needs no simulation: graph, help, prefixes, errors.

load helpers

@test "graph draws the default topology as dot, mermaid and json" {
	run ks graph -t "$DEFAULT_TOPO"
	[ "$status" -eq 0 ]
	[[ "$output" == "graph \"knetsim\" {"* ]]
	[[ "$output" == *'"C0w1" -- "C0s0"'* ]]
	[[ "$output" == *'"C1s0" -- "t0"'* ]]
	run ks graph -t "$DEFAULT_TOPO" --format mermaid
	[ "$status" -eq 0 ]
	[[ "$output" == "graph TD"* ]]
	[[ "$output" == *"subgraph C1"* ]]
	run ks graph -t "$DEFAULT_TOPO" --format json
	[ "$status" -eq 0 ]
	[ "$(jq '.nodes | length' <<<"$output")" -eq 15 ]   # 12 nodes + 3 switches
	[ "$(jq '.links | length' <<<"$output")" -eq 14 ]
	[ "$(jq -r '.nodes[] | select(.id=="C1w1") | .address' <<<"$output")" = 10.0.0.7 ]
}

@test "graph rejects an unknown format and a bad file" {
	run ks graph -t "$DEFAULT_TOPO" --format png
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown format"* ]]
	run ks graph -t /nonexistent.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent.yaml"* ]]
}

@test "commands accept unique prefixes and reject ambiguous ones" {
	run ks gr -t "$DEFAULT_TOPO" --format json
	[ "$status" -eq 0 ]
	run ks s
	[ "$status" -eq 2 ]
	[[ "$output" == *"ambiguous"* ]]
	run ks frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command"* ]]
}

@test "help and version" {
	run ks help
	[ "$status" -eq 0 ]
	[[ "$output" == *"up"*"down"*"status"*"exec"*"shell"*"graph"* ]]
	run ks --version
	[[ "$output" == "knetsim "* ]]
	run ks up --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: knetsim up"* ]]
}

@test "commands that change the system say so when not root" {
	command -v setpriv >/dev/null || skip "setpriv not installed"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$KNETSIM" up -t "$DEFAULT_TOPO"
	[ "$status" -eq 1 ]
	[[ "$output" == *"needs root"* ]]
}
