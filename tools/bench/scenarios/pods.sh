# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # SC_* are read by lib.sh
#
# Pod to pod across two workers, through the overlay, with routing bpf
# (tc programs, one external VXLAN device, bpf_redirect_peer) and routing
# kernel (flannel's way: cni0 bridge, routes, flannel.<VNI>), measured in
# one interleaved run against the one-veth baseline of traffic.sh.
#
# Each datapath gets one small simulation, brought up once per run (not per
# round): one cluster, two workers, one etcd member, no link shaping,
# default MTUs, pod c1 on C0w1 and pod c2 on C0w2. The traffic servers run
# in c2, the clients in c1, both entered with `knetsim exec`.

SC_DESC="pod to pod across workers, routing bpf and kernel, against one veth"
SC_METRICS=("${TRAFFIC_METRICS[@]}")
SC_CONFIGS=(veth bpf kernel)
SC_BASELINE=veth
SC_TARGETS=(
	"bpf tcp_1stream_gbps >= 1 kernel"
	"bpf tcp_2stream_gbps >= 1 kernel"
	"bpf tcp_rtt_p50_us <= 1 kernel"
	"bpf tcp_rtt_p99_us <= 1 kernel"
	"bpf udp_rtt_p50_us <= 1 kernel"
	"bpf udp_rtt_p99_us <= 1 kernel"
	"bpf conn_per_s >= 1 kernel"
	"bpf tcp_rtt_p50_us <= 1.15 veth"
	"bpf udp_rtt_p50_us <= 1.15 veth"
	"bpf conn_per_s >= 0.9 veth"
)

PODS_TIMEOUT_UP=300
PODS_TIMEOUT_DOWN=120
PODS_SIMS=()			# simulations that may be up, for sc_teardown
declare -A PODS_SRC=()		# config -> client pod's namespace
declare -A PODS_DST=()		# config -> server pod's namespace
declare -A PODS_DST_IP=()	# config -> server pod's address

pods_sim()
{
	printf '%s-%s-%s\n' "${BENCH_SIM_PREFIX:-kbench}" "$$" "$1"
}

# The topology of one datapath; only `routing` differs between them.
pods_topology()
{
	cat <<EOF
name: pods-$1
underlay:
  subnet: 10.0.0.0/16
clusters:
  - name: C0
    workers: [C0w1, C0w2]
    etcd: [C0e1]
    network:
      Network: 11.0.0.0/8
      SubnetLen: 20
      SubnetMin: 11.10.0.0
      SubnetMax: 11.99.0.0
      Backend: {Type: vxlan, VNI: 100, Port: 8472}
    datapath: {routing: $1, proxy: bpf}
    pods:
      - {name: c1, worker: C0w1}
      - {name: c2, worker: C0w2}
EOF
}

sc_check()
{
	local r f

	traffic_check || return 1
	[[ -x $KNETSIM ]] ||
		{ echo "$KNETSIM is missing: run make (or set KNETSIM)" >&2; return 1; }
	for r in bpf kernel; do
		f=$BENCH_TMP/pods-$r.yaml
		pods_topology "$r" >"$f" || return 1
		# graph loads and validates the file without building anything.
		"$KNETSIM" graph -t "$f" --format json >/dev/null ||
			{ echo "$f does not load" >&2; return 1; }
	done
}

# pods_field JSON POD JQ-PATH: one field of a pod in `pod list -j`.
pods_field()
{
	jq -er --arg p "$2" ".pods[] | select(.metadata.name == \$p) | $3" <<<"$1"
}

# Brings up the simulation of routing $1 and starts the servers in c2.
pods_up()
{
	local cfg=$1 sim list file=$BENCH_TMP/pods-$1.yaml log=$BENCH_TMP/pods-$1.log

	sim=$(pods_sim "$cfg")
	pods_topology "$cfg" >"$file" || return 1
	PODS_SIMS+=("$sim")
	bench_log "pods: knetsim up $sim (routing $cfg)"
	if ! timeout --foreground -k 10 "$PODS_TIMEOUT_UP" "$KNETSIM" up -q \
		-t "$file" --name "$sim" >>"$log" 2>&1; then
		bench_warn "pods: knetsim up ($cfg) failed:"
		tail -n 5 "$log" >&2
		return 1
	fi
	list=$("$KNETSIM" pod list -j --name "$sim") &&
	PODS_SRC[$cfg]=$(pods_field "$list" c1 .status.netns) &&
	PODS_DST[$cfg]=$(pods_field "$list" c2 .status.netns) &&
	PODS_DST_IP[$cfg]=$(pods_field "$list" c2 .status.podIP) &&
	[[ $(pods_field "$list" c1 .spec.nodeName) == C0w1 &&
	   $(pods_field "$list" c2 .spec.nodeName) == C0w2 ]] || {
		bench_warn "pods: $sim: pods c1 (C0w1) and c2 (C0w2) not found:"
		printf '%s\n' "$list" >&2
		return 1
	}
	# Across the overlay once before any figure: the route to the other
	# worker's lease is in place and the first packets are not measured.
	bench_wait_for 20 traffic_exec "${PODS_SRC[$cfg]}" \
		ping -c 1 -W 1 "${PODS_DST_IP[$cfg]}" || {
		bench_warn "pods: $sim: c1 cannot reach c2 (${PODS_DST_IP[$cfg]})"
		return 1
	}
	traffic_servers_start "${PODS_DST[$cfg]}" "${PODS_DST_IP[$cfg]}"
}

sc_setup()
{
	traffic_veth_setup && pods_up bpf && pods_up kernel
}

sc_measure()
{
	case $1 in
	veth) traffic_veth_measure ;;
	bpf | kernel) traffic_measure "${PODS_SRC[$1]}" "${PODS_DST_IP[$1]}" ;;
	*) return 1 ;;
	esac
}

# Copes with a half-done setup: stops the servers in the pods, then takes
# down every simulation that may be up (down is idempotent).
sc_teardown()
{
	local cfg sim ret=0

	for cfg in "${!PODS_DST[@]}"; do
		traffic_servers_stop "${PODS_DST[$cfg]}"
	done
	for sim in "${PODS_SIMS[@]}"; do
		bench_log "pods: taking $sim down"
		timeout -k 10 "$PODS_TIMEOUT_DOWN" "$KNETSIM" down -q --name "$sim" \
			>>"$BENCH_TMP/pods-teardown.log" 2>&1
		if ip netns list | awk -v p="$sim:" 'index($1, p) == 1 { f = 1 } END { exit !f }'; then
			bench_warn "pods: namespaces of $sim remain"
			ret=1
		fi
	done
	PODS_SIMS=()
	return $ret
}
