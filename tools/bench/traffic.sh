# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # TRAFFIC_METRICS is read by scenarios
#
# Traffic between two network namespaces, for the scenarios that measure a
# datapath: servers in one namespace, clients in the other, every figure as
# a "metric value" line. The veth scenario measures the raw one-veth path
# with it; later datapath scenarios call the same functions on pods, so
# their figures compare with the baseline's. Needs lib.sh.
#
#   traffic_check                       the tools are there
#   traffic_servers_start NS ADDR       iperf3, sockperf (TCP, UDP), connrate
#   traffic_measure NS ADDR             runs every client from NS to ADDR
#
# TRAFFIC_METRICS is the matching SC_METRICS list. TRAFFIC_SECONDS sets how
# long each client runs, in whole seconds (default 3).

TRAFFIC_SECONDS=${TRAFFIC_SECONDS:-3}
TRAFFIC_PORT_IPERF=5201
TRAFFIC_PORT_SOCKPERF_TCP=11111
TRAFFIC_PORT_SOCKPERF_UDP=11112
TRAFFIC_PORT_CONNRATE=5301
TRAFFIC_PARALLEL=8
CONNRATE=${CONNRATE:-$BENCH_SRCDIR/build/tools/connrate}

TRAFFIC_METRICS=(
	"throughput_gbps|Gbit/s|higher|iperf3 TCP, 1 stream, receiver side"
	"tcp_rtt_p50_us|us|lower|sockperf TCP ping-pong round trip, median"
	"tcp_rtt_p99_us|us|lower|sockperf TCP ping-pong round trip, 99th percentile"
	"udp_rtt_p50_us|us|lower|sockperf UDP ping-pong round trip, median"
	"udp_rtt_p99_us|us|lower|sockperf UDP ping-pong round trip, 99th percentile"
	"conn_per_s|conn/s|higher|connrate: connect, 16-byte echo, reset; $TRAFFIC_PARALLEL in flight"
)

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
}

# traffic_listening NS PROTO PORT: a socket listens on PORT in NS.
traffic_listening()
{
	local flags=-Hltn

	[[ $2 == udp ]] && flags=-Hlun
	[[ -n $(ip netns exec "$1" ss "$flags" "sport = :$3") ]]
}

traffic_servers_start()
{
	local ns=$1 addr=$2 logs=$BENCH_TMP/traffic-$1

	mkdir -p "$logs" || return 1
	bench_spawn "$logs/iperf3.log" ip netns exec "$ns" \
		iperf3 -s -B "$addr" -p "$TRAFFIC_PORT_IPERF"
	bench_spawn "$logs/sockperf-tcp.log" ip netns exec "$ns" \
		sockperf server --tcp -i "$addr" -p "$TRAFFIC_PORT_SOCKPERF_TCP"
	bench_spawn "$logs/sockperf-udp.log" ip netns exec "$ns" \
		sockperf server -i "$addr" -p "$TRAFFIC_PORT_SOCKPERF_UDP"
	bench_spawn "$logs/connrate.log" ip netns exec "$ns" \
		"$CONNRATE" -s -b "$addr" -p "$TRAFFIC_PORT_CONNRATE"
	bench_wait_for 10 traffic_listening "$ns" tcp "$TRAFFIC_PORT_IPERF" &&
	bench_wait_for 10 traffic_listening "$ns" tcp "$TRAFFIC_PORT_SOCKPERF_TCP" &&
	bench_wait_for 10 traffic_listening "$ns" udp "$TRAFFIC_PORT_SOCKPERF_UDP" &&
	bench_wait_for 10 traffic_listening "$ns" tcp "$TRAFFIC_PORT_CONNRATE" || {
		bench_warn "traffic servers in $ns did not start; logs in $logs:"
		tail -n 3 "$logs"/*.log >&2
		return 1
	}
}

# traffic_run NS CMD...: a client, bounded in time whatever happens.
traffic_run()
{
	local ns=$1

	shift
	timeout --foreground -k 5 $((TRAFFIC_SECONDS + 30)) ip netns exec "$ns" "$@"
}

traffic_iperf3()
{
	local out bps

	out=$(traffic_run "$1" iperf3 -c "$2" -p "$TRAFFIC_PORT_IPERF" \
		-t "$TRAFFIC_SECONDS" -J) || { bench_warn "iperf3 failed"; return 1; }
	bps=$(jq -r '.end.sum_received.bits_per_second // empty' <<<"$out")
	bench_is_number "$bps" || { bench_warn "iperf3: no result"; return 1; }
	awk -v b="$bps" 'BEGIN { printf "throughput_gbps %.3f\n", b / 1e9 }'
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
	traffic_iperf3 "$1" "$2" &&
	traffic_sockperf "$1" "$2" tcp &&
	traffic_sockperf "$1" "$2" udp &&
	traffic_connrate "$1" "$2"
}
