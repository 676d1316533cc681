# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # TRAFFIC_METRICS is read by scenarios
#
# Traffic between two network namespaces, for the scenarios that measure a
# datapath: servers in one namespace, clients in the other, every figure as
# a "metric value" line. The veth scenario measures the raw one-veth path
# with it, the pods scenario pods of a simulation, so their figures compare
# line by line. Needs lib.sh.
#
#   traffic_check                       the tools are there
#   traffic_exec NS CMD...              CMD inside namespace NS
#   traffic_servers_start NS ADDR       iperf3, sockperf (TCP, UDP), connrate
#   traffic_servers_stop NS             stops them again (else bench_cleanup does)
#   traffic_measure NS ADDR             runs every client from NS to ADDR
#   traffic_veth_setup                  the one-veth baseline, servers started
#   traffic_veth_measure                measures it
#
# A namespace is named as `ip netns list` shows it. One of a knetsim
# simulation (SIM:NODE, SIM:CLUSTER.POD) is entered with `knetsim exec`,
# as a user would; any other with `ip netns exec`.
#
# TRAFFIC_METRICS is the matching SC_METRICS list. TRAFFIC_SECONDS sets how
# long each client runs, in whole seconds (default 3). TRAFFIC_CPUS="C S"
# pins every client to CPU C and every server to CPU S (default: not
# pinned; docs/performance.md says when pinning helps and when it hurts).

TRAFFIC_SECONDS=${TRAFFIC_SECONDS:-3}
TRAFFIC_CPUS=${TRAFFIC_CPUS:-}
TRAFFIC_PORT_IPERF=5201
TRAFFIC_PORT_SOCKPERF_TCP=11111
TRAFFIC_PORT_SOCKPERF_UDP=11112
TRAFFIC_PORT_CONNRATE=5301
TRAFFIC_PARALLEL=8
CONNRATE=${CONNRATE:-$BENCH_SRCDIR/build/tools/connrate}
KNETSIM=${KNETSIM:-$BENCH_SRCDIR/build/knetsim}

TRAFFIC_METRICS=(
	"tcp_1stream_gbps|Gbit/s|higher|iperf3 TCP, 1 stream, receiver side"
	"tcp_2stream_gbps|Gbit/s|higher|iperf3 TCP, 2 streams (-P 2), receiver side, sum"
	"tcp_rtt_p50_us|us|lower|sockperf TCP ping-pong round trip, median"
	"tcp_rtt_p99_us|us|lower|sockperf TCP ping-pong round trip, 99th percentile"
	"udp_rtt_p50_us|us|lower|sockperf UDP ping-pong round trip, median"
	"udp_rtt_p99_us|us|lower|sockperf UDP ping-pong round trip, 99th percentile"
	"conn_per_s|conn/s|higher|connrate: connect, 16-byte echo, reset; $TRAFFIC_PARALLEL in flight"
)

# The one-veth baseline: two namespaces named after this run's PID (parallel
# runs never clash), joined by one veth pair and nothing else.
TRAFFIC_VETH_NS_A=${BENCH_PREFIX:-kbench}-$$-a
TRAFFIC_VETH_NS_B=${BENCH_PREFIX:-kbench}-$$-b
TRAFFIC_VETH_ADDR_A=192.0.2.1
TRAFFIC_VETH_ADDR_B=192.0.2.2

declare -A TRAFFIC_SERVER_PIDS=()

traffic_check()
{
	local t

	if [[ ! $TRAFFIC_SECONDS =~ ^[1-9][0-9]{0,3}$ ]] || ((TRAFFIC_SECONDS > 3600)); then
		echo "TRAFFIC_SECONDS='$TRAFFIC_SECONDS' (expected whole seconds, 1..3600)" >&2
		return 1
	fi
	for t in ip ss iperf3 sockperf timeout; do
		command -v "$t" >/dev/null ||
			{ echo "$t is not installed (make deps)" >&2; return 1; }
	done
	[[ -x $CONNRATE ]] ||
		{ echo "$CONNRATE is missing: run make (or set CONNRATE)" >&2; return 1; }
	[[ -z $TRAFFIC_CPUS ]] || traffic_cpus_check
}

# TRAFFIC_CPUS is two CPUs this process may run on.
traffic_cpus_check()
{
	local c

	if [[ ! $TRAFFIC_CPUS =~ ^[0-9]{1,4}\ [0-9]{1,4}$ ]]; then
		echo "TRAFFIC_CPUS='$TRAFFIC_CPUS' (expected 'CLIENT-CPU SERVER-CPU', e.g. '0 1')" >&2
		return 1
	fi
	command -v taskset >/dev/null ||
		{ echo "taskset is not installed (util-linux)" >&2; return 1; }
	for c in $TRAFFIC_CPUS; do
		taskset -c "$c" true 2>/dev/null ||
			{ echo "TRAFFIC_CPUS: cannot run on CPU $c" >&2; return 1; }
	done
}

# traffic_prefix NS [client|server]: sets TRAFFIC_PREFIX to the command
# line that runs a command in NS (pinned to the role's CPU with
# TRAFFIC_CPUS). Every part execs the next, so a spawned server's PID is its
# own, and timeout can run them (it runs programs, not functions).
traffic_prefix()
{
	local cpus=()

	read -ra cpus <<<"$TRAFFIC_CPUS"
	if [[ $1 == *:* ]]; then
		TRAFFIC_PREFIX=("$KNETSIM" exec -q --name "${1%%:*}" "${1#*:}" --)
	else
		TRAFFIC_PREFIX=(ip netns exec "$1")
	fi
	case ${2:-}:${#cpus[@]} in
	client:2) TRAFFIC_PREFIX+=(taskset -c "${cpus[0]}") ;;
	server:2) TRAFFIC_PREFIX+=(taskset -c "${cpus[1]}") ;;
	esac
}

# traffic_exec NS CMD...
traffic_exec()
{
	traffic_prefix "$1"
	shift
	"${TRAFFIC_PREFIX[@]}" "$@"
}

# traffic_listening NS PROTO PORT: a socket listens on PORT in NS.
traffic_listening()
{
	local flags=-Hltn

	[[ $2 == udp ]] && flags=-Hlun
	[[ -n $(traffic_exec "$1" ss "$flags" "sport = :$3") ]]
}

traffic_servers_start()
{
	local ns=$1 addr=$2 logs=$BENCH_TMP/traffic-${1//[^A-Za-z0-9_.-]/_} pids=()

	mkdir -p "$logs" && traffic_prefix "$ns" server || return 1
	bench_spawn "$logs/iperf3.log" "${TRAFFIC_PREFIX[@]}" \
		iperf3 -s -B "$addr" -p "$TRAFFIC_PORT_IPERF"
	pids+=("$BENCH_LAST_PID")
	bench_spawn "$logs/sockperf-tcp.log" "${TRAFFIC_PREFIX[@]}" \
		sockperf server --tcp -i "$addr" -p "$TRAFFIC_PORT_SOCKPERF_TCP"
	pids+=("$BENCH_LAST_PID")
	bench_spawn "$logs/sockperf-udp.log" "${TRAFFIC_PREFIX[@]}" \
		sockperf server -i "$addr" -p "$TRAFFIC_PORT_SOCKPERF_UDP"
	pids+=("$BENCH_LAST_PID")
	bench_spawn "$logs/connrate.log" "${TRAFFIC_PREFIX[@]}" \
		"$CONNRATE" -s -b "$addr" -p "$TRAFFIC_PORT_CONNRATE"
	pids+=("$BENCH_LAST_PID")
	TRAFFIC_SERVER_PIDS[$ns]=${pids[*]}
	bench_wait_for 10 traffic_listening "$ns" tcp "$TRAFFIC_PORT_IPERF" &&
	bench_wait_for 10 traffic_listening "$ns" tcp "$TRAFFIC_PORT_SOCKPERF_TCP" &&
	bench_wait_for 10 traffic_listening "$ns" udp "$TRAFFIC_PORT_SOCKPERF_UDP" &&
	bench_wait_for 10 traffic_listening "$ns" tcp "$TRAFFIC_PORT_CONNRATE" || {
		bench_warn "traffic servers in $ns did not start; logs in $logs:"
		tail -n 3 "$logs"/*.log >&2
		return 1
	}
}

# Stops the servers traffic_servers_start started in NS (before the
# namespace goes away, e.g. with its simulation) and forgets their PIDs.
traffic_servers_stop()
{
	local ns=$1 pid i keep=()

	for pid in ${TRAFFIC_SERVER_PIDS[$ns]:-}; do
		bench_stop_pid "$pid"
		for i in "${!BENCH_PIDS[@]}"; do
			[[ ${BENCH_PIDS[i]} == "$pid" ]] && unset 'BENCH_PIDS[i]'
		done
	done
	keep=("${BENCH_PIDS[@]}")
	BENCH_PIDS=("${keep[@]}")
	unset 'TRAFFIC_SERVER_PIDS[$ns]'
	return 0
}

# traffic_run NS CMD...: a client, bounded in time whatever happens.
traffic_run()
{
	traffic_prefix "$1" client
	shift
	timeout --foreground -k 5 $((TRAFFIC_SECONDS + 30)) "${TRAFFIC_PREFIX[@]}" "$@"
}

traffic_iperf3()
{
	local ns=$1 addr=$2 streams=$3 out bps

	out=$(traffic_run "$ns" iperf3 -c "$addr" -p "$TRAFFIC_PORT_IPERF" \
		-t "$TRAFFIC_SECONDS" -P "$streams" -J) ||
		{ bench_warn "iperf3 -P $streams failed"; return 1; }
	bps=$(jq -r '.end.sum_received.bits_per_second // empty' <<<"$out")
	bench_is_number "$bps" || { bench_warn "iperf3 -P $streams: no result"; return 1; }
	awk -v b="$bps" -v n="$streams" \
		'BEGIN { printf "tcp_%dstream_gbps %.3f\n", n, b / 1e9 }'
}

# sockperf prints "---> percentile 50.000 =   16.736" (colours stripped);
# --full-rtt makes the figures round trips rather than half of them.
traffic_sockperf()
{
	local ns=$1 addr=$2 proto=$3 port=$TRAFFIC_PORT_SOCKPERF_UDP out
	local args=()

	if [[ $proto == tcp ]]; then
		args=(--tcp)
		port=$TRAFFIC_PORT_SOCKPERF_TCP
	fi
	out=$(traffic_run "$ns" sockperf ping-pong "${args[@]}" -i "$addr" \
		-p "$port" -t "$TRAFFIC_SECONDS" --full-rtt 2>&1) ||
		{ bench_warn "sockperf $proto failed"; return 1; }
	sed 's/\x1b\[[0-9;]*m//g' <<<"$out" | awk -v p="$proto" '
		/percentile 50\.000 =/ { p50 = $NF }
		/percentile 99\.000 =/ { p99 = $NF }
		END {
			if (p50 == "" || p99 == "") exit 1
			printf "%s_rtt_p50_us %s\n%s_rtt_p99_us %s\n", p, p50, p, p99
		}' || { bench_warn "sockperf $proto: no percentiles"; return 1; }
}

traffic_connrate()
{
	local out errors

	out=$(traffic_run "$1" "$CONNRATE" -c "$2" -p "$TRAFFIC_PORT_CONNRATE" \
		-d "$TRAFFIC_SECONDS" -n "$TRAFFIC_PARALLEL") ||
		{ bench_warn "connrate failed"; return 1; }
	errors=$(awk '$1 == "errors" { print $2 }' <<<"$out")
	[[ ${errors:-0} == 0 ]] || bench_warn "connrate: $errors connection errors"
	awk '$1 == "connections_per_second" { print "conn_per_s", $2 }' <<<"$out"
}

traffic_measure()
{
	traffic_iperf3 "$1" "$2" 1 &&
	traffic_iperf3 "$1" "$2" 2 &&
	traffic_sockperf "$1" "$2" tcp &&
	traffic_sockperf "$1" "$2" udp &&
	traffic_connrate "$1" "$2"
}

# The baseline: no bridge, no tunnel, no BPF, no netfilter rule, default
# MTU (1500). The pair is created inside a, the peer straight inside b:
# nothing ever exists in the host's namespace.
traffic_veth_setup()
{
	local a=$TRAFFIC_VETH_NS_A b=$TRAFFIC_VETH_NS_B

	bench_netns_add "$a" && bench_netns_add "$b" &&
	ip -n "$a" link add veth0 type veth peer name veth0 netns "$b" &&
	ip -n "$a" addr add "$TRAFFIC_VETH_ADDR_A/30" dev veth0 &&
	ip -n "$b" addr add "$TRAFFIC_VETH_ADDR_B/30" dev veth0 &&
	ip -n "$a" link set lo up && ip -n "$b" link set lo up &&
	ip -n "$a" link set veth0 up && ip -n "$b" link set veth0 up &&
	bench_wait_for 10 ip netns exec "$a" ping -c 1 -W 1 "$TRAFFIC_VETH_ADDR_B" || {
		bench_warn "could not wire $a <-> $b"
		return 1
	}
	traffic_servers_start "$b" "$TRAFFIC_VETH_ADDR_B"
}

traffic_veth_measure()
{
	traffic_measure "$TRAFFIC_VETH_NS_A" "$TRAFFIC_VETH_ADDR_B"
}
