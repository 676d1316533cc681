# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # SC_* are read by lib.sh
#
# Across clusters: a pod of C1 reaching a pod of C0 through its router node
# (C1w1), once through the nginx TLS gateway and once through skupper-router
# (when skrouterd is on PATH), against the direct pod-to-pod path inside C0
# (the same server pod, from a pod on another worker of its own cluster),
# in one interleaved run. Only TCP: both gateways carry TCP.
#
# Each gateway gets one small simulation, brought up once per run: C0 with
# three workers (C0w1 runs the router, s0 on C0w2 runs the servers, c1 on
# C0w3 is the direct client) and C1 with two (C1w1 runs the router, c1 on
# C1w2 is the client). The servers' ports are exported as they are: C1w1
# opens 5201 (iperf3), 11111 (sockperf TCP), 5301 (connrate).
#   direct    C0.c1 -> s0's pod IP (nginx simulation)
#   nginx     C1.c1 -> C1w1 -> TLS -> C0w1 -> s0
#   skupper   C1.c1 -> C1w1's router -> AMQP over TLS -> C0w1's router -> s0

SC_DESC="pod to pod across clusters through the nginx gateway and skupper-router, against direct pod to pod"
SC_METRICS=(
	"tcp_1stream_gbps|Gbit/s|higher|iperf3 TCP, 1 stream, receiver side"
	"tcp_rtt_p50_us|us|lower|sockperf TCP ping-pong round trip, median"
	"tcp_rtt_p99_us|us|lower|sockperf TCP ping-pong round trip, 99th percentile"
	"conn_per_s|conn/s|higher|connrate: connect, 16-byte echo, reset; $TRAFFIC_PARALLEL in flight"
)
SC_CONFIGS=(direct nginx)
command -v skrouterd >/dev/null 2>&1 && SC_CONFIGS+=(skupper)
SC_BASELINE=direct

MC_TIMEOUT_UP=300
MC_TIMEOUT_DOWN=120
MC_SIMS=()			# simulations that may be up, for sc_teardown
declare -A MC_SERVER_NS=()	# gateway -> s0's namespace
declare -A MC_SERVER_IP=()	# gateway -> s0's address
declare -A MC_ROUTER_IP=()	# gateway -> C1w1's address

mc_sim()
{
	printf '%s-%s-mc-%s\n' "${BENCH_SIM_PREFIX:-kbench}" "$$" "$1"
}

mc_topology()
{
	local p

	cat <<EOF
name: mc-$1
underlay:
  subnet: 10.0.0.0/24
clusters:
  - name: C0
    workers: [C0w1, C0w2, C0w3]
    etcd: [C0e1]
    network: {Network: 11.0.0.0/8, SubnetLen: 20, SubnetMin: 11.10.0.0, SubnetMax: 11.99.0.0}
    pods:
      - {name: s0, worker: C0w2}
      - {name: c1, worker: C0w3}
  - name: C1
    workers: [C1w1, C1w2]
    etcd: [C1e1]
    network: {Network: 11.0.0.0/8, SubnetLen: 20, SubnetMin: 11.10.0.0, SubnetMax: 11.99.0.0}
    pods:
      - {name: c1, worker: C1w2}
multicluster:
  gateway: $1
  links: [{from: C1, to: C0}]
  exports:
EOF
	for p in "$TRAFFIC_PORT_IPERF" "$TRAFFIC_PORT_SOCKPERF_TCP" "$TRAFFIC_PORT_CONNRATE"; do
		printf '    - {name: p%s, cluster: C0, target: s0, port: %s, listen: %s}\n' \
			"$p" "$p" "$p"
	done
}

sc_check()
{
	local g f

	traffic_check || return 1
	command -v nginx >/dev/null ||
		{ echo "nginx is not installed (make deps)" >&2; return 1; }
	[[ -x $KNETSIM ]] ||
		{ echo "$KNETSIM is missing: run make (or set KNETSIM)" >&2; return 1; }
	for g in nginx skupper; do
		f=$BENCH_TMP/mc-$g.yaml
		mc_topology "$g" >"$f" || return 1
		"$KNETSIM" graph -t "$f" --format json >/dev/null ||
			{ echo "$f does not load" >&2; return 1; }
	done
}

mc_field()
{
	jq -er --arg p "$2" --arg c "$3" \
		".pods[] | select(.metadata.name == \$p and .cluster == \$c) | $4" <<<"$1"
}

# A connection through the gateway is accepted (skupper-router opens its
# listener once the link to the other router is up).
mc_reachable()
{
	traffic_exec "$1" nc -z -w 2 "$2" "$TRAFFIC_PORT_CONNRATE"
}

mc_up()
{
	local g=$1 sim list status file=$BENCH_TMP/mc-$1.yaml log=$BENCH_TMP/mc-$1.log

	sim=$(mc_sim "$g")
	mc_topology "$g" >"$file" || return 1
	MC_SIMS+=("$sim")
	bench_log "multicluster: knetsim up $sim (gateway $g)"
	if ! timeout --foreground -k 10 "$MC_TIMEOUT_UP" "$KNETSIM" up -q \
		-t "$file" --name "$sim" >>"$log" 2>&1; then
		bench_warn "multicluster: knetsim up ($g) failed:"
		tail -n 5 "$log" >&2
		return 1
	fi
	list=$("$KNETSIM" pod list -j --name "$sim") &&
	status=$("$KNETSIM" status -j --name "$sim") &&
	MC_SERVER_NS[$g]=$sim:C0.s0 &&
	MC_SERVER_IP[$g]=$(mc_field "$list" s0 C0 .status.podIP) &&
	MC_ROUTER_IP[$g]=$(jq -er '.simulations[].nodes[] |
		select(.name == "C1w1") | .address' <<<"$status") || {
		bench_warn "multicluster: $sim: pod s0 or node C1w1 not found"
		return 1
	}
	traffic_servers_start "${MC_SERVER_NS[$g]}" "${MC_SERVER_IP[$g]}" &&
	bench_wait_for 30 mc_reachable "$sim:C1.c1" "${MC_ROUTER_IP[$g]}" || {
		bench_warn "multicluster: $sim: C1.c1 cannot reach C1w1:$TRAFFIC_PORT_CONNRATE"
		return 1
	}
	if [[ $g == nginx ]]; then
		bench_wait_for 20 traffic_exec "$sim:C0.c1" \
			ping -c 1 -W 1 "${MC_SERVER_IP[$g]}" || {
			bench_warn "multicluster: $sim: C0.c1 cannot reach s0"
			return 1
		}
	fi
}

sc_setup()
{
	mc_up nginx || return 1
	[[ " ${SC_CONFIGS[*]} " != *" skupper "* ]] || mc_up skupper
}

mc_measure()
{
	traffic_iperf3 "$1" "$2" 1 &&
	traffic_sockperf "$1" "$2" tcp &&
	traffic_connrate "$1" "$2"
}

sc_measure()
{
	case $1 in
	direct) mc_measure "$(mc_sim nginx):C0.c1" "${MC_SERVER_IP[nginx]}" ;;
	nginx | skupper) mc_measure "$(mc_sim "$1"):C1.c1" "${MC_ROUTER_IP[$1]}" ;;
	*) return 1 ;;
	esac
}

sc_teardown()
{
	local g sim ret=0

	for g in "${!MC_SERVER_NS[@]}"; do
		traffic_servers_stop "${MC_SERVER_NS[$g]}"
	done
	for sim in "${MC_SIMS[@]}"; do
		bench_log "multicluster: taking $sim down"
		timeout -k 10 "$MC_TIMEOUT_DOWN" "$KNETSIM" down -q --name "$sim" \
			>>"$BENCH_TMP/mc-teardown.log" 2>&1
		if ip netns list | awk -v p="$sim:" 'index($1, p) == 1 { f = 1 } END { exit !f }'; then
			bench_warn "multicluster: namespaces of $sim remain"
			ret=1
		fi
	done
	MC_SIMS=()
	return $ret
}
