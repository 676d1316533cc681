# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # SC_* are read by lib.sh
#
# Through a service VIP to a pod on another worker, for the three service
# proxies - bpf (the tc programs' maps), nft (kube-proxy's nftables
# structure: a verdict map, a chain per service and per endpoint) and
# nft-linear (the course's original: one rule per service port in one
# chain) - each with 1, 1,000 and 10,000 services installed, against the
# same path with no service translation (pod to pod by address), in one
# interleaved run.
#
# Each proxy and service count gets one small simulation, brought up and
# filled once per run (not per round): one cluster, two workers, one etcd
# member, routing bpf, pod c1 on C0w1 and pod c2 on C0w2. The measured
# service "web" (VIP 100.127.255.1, the traffic tools' TCP ports, backend
# c2) is created after the filler services (each one VIP, port 80, backend
# c2), so it is the last rule of the linear chain: the linear variant's
# worst case, and the realistic one (a new service goes to the end).
# "direct" measures c1 to c2's own address in a simulation of its own,
# made as the bpf 10,000 one (proxy bpf, 10,000 services), where no
# traffic ever goes through a VIP: proxy bpf keeps reverse-NAT entries of
# connections through a VIP after they end, and translates the replies of
# a later direct connection with the same addresses and ports (see
# docs/performance.md), which a shared simulation would measure.
#
# Besides the traffic figures, each round reads two timings from the
# agent of C0w1 (its control socket's status, "services"):
#   program_ms  the agent restarted (knetsim agent restart): the full
#               resync that programs every service (last_resync_us: the
#               proxy calls and the prune, not the etcd read)
#   add_one_ms  one more service created (knetsim service add): applying
#               that etcd event (last_apply_us), then it is deleted again

SC_DESC="through a VIP to a pod on another worker: proxy bpf, nft, nft-linear at 1, 1k, 10k services"
SC_METRICS=(
	"tcp_1stream_gbps|Gbit/s|higher|iperf3 TCP, 1 stream, receiver side"
	"tcp_rtt_p50_us|us|lower|sockperf TCP ping-pong round trip, median"
	"tcp_rtt_p99_us|us|lower|sockperf TCP ping-pong round trip, 99th percentile"
	"conn_per_s|conn/s|higher|connrate: connect, 16-byte echo, reset; ${TRAFFIC_PARALLEL:-8} in flight"
	"program_ms|ms|lower|agent restart: programming every service (full resync, proxy calls and prune)"
	"add_one_ms|ms|lower|one more service: the agent applying its etcd event"
)
SVCB_PROXIES=(bpf nft nft-linear)
SVCB_COUNTS=(1 1000 10000)
SC_CONFIGS=(direct)
for p in "${SVCB_PROXIES[@]}"; do
	for n in "${SVCB_COUNTS[@]}"; do
		SC_CONFIGS+=("$p-$n")
	done
done
unset p n
SC_BASELINE=direct
SC_TARGETS=(
	"bpf-10000 conn_per_s >= 1 nft-10000"
	"bpf-10000 conn_per_s >= 1.5 nft-linear-10000"
	"bpf-10000 conn_per_s >= 0.9 direct"
	"bpf-10000 program_ms <= 0.2 nft-10000"
	"bpf-10000 add_one_ms < 1"
)

SVCB_VIP=100.127.255.1
SVCB_TIMEOUT_UP=300
SVCB_TIMEOUT_DOWN=120
SVCB_TIMEOUT_SYNC=600		# agents taking 10,000 services
SVCB_SIMS=()			# simulations that may be up, for sc_teardown
declare -A SVCB_SRC=()		# config -> client pod's namespace
declare -A SVCB_DST=()		# config -> server pod's namespace (servers up)
declare -A SVCB_DST_IP=()	# config -> server pod's address

# The simulation of config $1 (direct: proxy bpf, 10,000 services):
# kbench-PID-b10k, short, as simulation names are at most 32 bytes.
svcb_sim()
{
	local p=${1%-*} n=${1##*-}

	[[ $1 == direct ]] && p=d n=10000
	case $p in nft-linear) p=l ;; *) p=${p:0:1} ;; esac
	case $n in 1000) n=1k ;; 10000) n=10k ;; esac
	printf '%s-%s-%s%s\n' "${BENCH_SIM_PREFIX:-kbench}" "$$" "$p" "$n"
}

svcb_topology()
{
	cat <<EOF
name: services-$1
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
    datapath: {routing: bpf, proxy: $1}
    pods:
      - {name: c1, worker: C0w1}
      - {name: c2, worker: C0w2}
EOF
}

# N filler services as `knetsim service load` reads them: fill-00001...,
# VIPs 100.65.0.1 onwards, TCP 80 to 8080 on c2.
svcb_fillers()
{
	awk -v n="$1" 'BEGIN {
		printf "{\"services\":["
		for (i = 1; i <= n; i++)
			printf "%s{\"name\":\"fill-%05d\",\"vip\":\"100.%d.%d.%d\",\"ports\":[{\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}],\"pods\":[\"c2\"]}",
				(i > 1 ? "," : ""), i, 65 + int(i / 65536),
				int(i / 256) % 256, i % 256
		printf "]}\n"
	}'
}

sc_check()
{
	local p f

	traffic_check || return 1
	[[ -x $KNETSIM ]] ||
		{ echo "$KNETSIM is missing: run make (or set KNETSIM)" >&2; return 1; }
	for p in "${SVCB_PROXIES[@]}"; do
		f=$BENCH_TMP/services-$p.yaml
		svcb_topology "$p" >"$f" || return 1
		"$KNETSIM" graph -t "$f" --format json >/dev/null ||
			{ echo "$f does not load" >&2; return 1; }
	done
}

# svcb_status SIM WORKER: the "services" object of the agent's status.
svcb_status()
{
	"$KNETSIM" agent status "$2" -j --name "$1" 2>/dev/null | jq -ce '.services'
}

svcb_count()
{
	svcb_status "$1" "$2" | jq -r '.count'
}

# svcb_wait_count SIM N TIMEOUT: both agents hold N services.
svcb_wait_count()
{
	local sim=$1 n=$2 deadline=$((SECONDS + $3)) w

	for w in C0w1 C0w2; do
		until [[ $(svcb_count "$sim" "$w") == "$n" ]]; do
			((SECONDS < deadline)) || {
				bench_warn "services: $sim: agent of $w holds $(svcb_count "$sim" "$w") services, not $n"
				return 1
			}
			sleep 0.2
		done
	done
}

svcb_field()
{
	jq -er --arg p "$2" ".pods[] | select(.metadata.name == \$p) | $3" <<<"$1"
}

svcb_reach()
{
	traffic_exec "$1" bash -c "exec 3<>/dev/tcp/$2/$TRAFFIC_PORT_CONNRATE"
}

# Brings up the simulation of config $1 (proxy-count, or direct) and
# fills it.
svcb_up()
{
	local cfg=$1 proxy=${1%-*} n=${1##*-} sim list log file t0 to=$SVCB_VIP

	[[ $cfg == direct ]] && proxy=bpf n=10000
	file=$BENCH_TMP/services-$proxy.yaml
	sim=$(svcb_sim "$cfg")
	log=$BENCH_TMP/services-$cfg.log
	SVCB_SIMS+=("$sim")
	bench_log "services: knetsim up $sim (proxy $proxy, $n services)"
	if ! timeout --foreground -k 10 "$SVCB_TIMEOUT_UP" "$KNETSIM" up -q \
		-t "$file" --name "$sim" >>"$log" 2>&1; then
		bench_warn "services: knetsim up ($cfg) failed:"
		tail -n 5 "$log" >&2
		return 1
	fi
	list=$("$KNETSIM" pod list -j --name "$sim") &&
	SVCB_SRC[$cfg]=$(svcb_field "$list" c1 .status.netns) &&
	SVCB_DST_IP[$cfg]=$(svcb_field "$list" c2 .status.podIP) || {
		bench_warn "services: $sim: pods c1 and c2 not found"
		return 1
	}
	if ((n > 1)); then
		t0=$SECONDS
		svcb_fillers $((n - 1)) >"$BENCH_TMP/fill-$n.json" &&
		"$KNETSIM" service load "$BENCH_TMP/fill-$n.json" -q --name "$sim" \
			>>"$log" 2>&1 &&
		svcb_wait_count "$sim" $((n - 1)) "$SVCB_TIMEOUT_SYNC" || {
			bench_warn "services: $sim: loading $((n - 1)) services failed:"
			tail -n 5 "$log" >&2
			return 1
		}
		bench_log "services: $sim: $((n - 1)) services loaded and applied in $((SECONDS - t0)) s"
	fi
	"$KNETSIM" service add web --vip "$SVCB_VIP" --port "$TRAFFIC_PORT_IPERF" \
		--port "$TRAFFIC_PORT_SOCKPERF_TCP" --port "$TRAFFIC_PORT_CONNRATE" \
		--pods c2 -q --name "$sim" >>"$log" 2>&1 &&
	svcb_wait_count "$sim" "$n" 60 || {
		bench_warn "services: $sim: service web not applied"
		tail -n 5 "$log" >&2
		return 1
	}
	SVCB_DST[$cfg]=$(svcb_field "$list" c2 .status.netns)
	[[ $cfg == direct ]] && to=${SVCB_DST_IP[$cfg]}
	traffic_servers_start "${SVCB_DST[$cfg]}" "${SVCB_DST_IP[$cfg]}" &&
	bench_wait_for 20 svcb_reach "${SVCB_SRC[$cfg]}" "$to" || {
		bench_warn "services: $sim: c1 cannot reach $to"
		return 1
	}
}

sc_setup()
{
	local cfg

	for cfg in "${SC_CONFIGS[@]}"; do
		svcb_up "$cfg" || return 1
	done
}

# The agent of C0w1 restarted: its full resync, in ms.
svcb_program()
{
	local sim=$1 n=$2 st deadline=$((SECONDS + SVCB_TIMEOUT_SYNC))

	# restart gives up waiting after 10 s; a new agent taking ten
	# thousand nft services may need longer: wait for its status
	"$KNETSIM" agent restart C0w1 -q --name "$sim" >/dev/null 2>&1
	until st=$(svcb_status "$sim" C0w1) &&
	      [[ $(jq -r '.last_resync_count' <<<"$st") == "$n" ]]; do
		((SECONDS < deadline)) ||
			{ bench_warn "services: $sim: no resync of $n services"; return 1; }
		sleep 0.2
	done
	jq -r '"program_ms \(.last_resync_us / 1000)"' <<<"$st"
}

# One more service: the agent of C0w1 applying it, in ms; then it goes.
svcb_add_one()
{
	local sim=$1 n=$2 name=bench-add-$RANDOM st deadline=$((SECONDS + 60))

	"$KNETSIM" service add "$name" --vip 100.126.$((RANDOM % 250)).$((RANDOM % 250 + 1)) \
		--port 80 --pods c2 -q --name "$sim" >/dev/null 2>&1 ||
		{ bench_warn "services: $sim: service add failed"; return 1; }
	until st=$(svcb_status "$sim" C0w1) &&
	      [[ $(jq -r '.count' <<<"$st") == $((n + 1)) ]]; do
		((SECONDS < deadline)) ||
			{ bench_warn "services: $sim: $name not applied"; return 1; }
		sleep 0.05
	done
	jq -r '"add_one_ms \(.last_apply_us / 1000)"' <<<"$st"
	"$KNETSIM" service del "$name" -q --name "$sim" >/dev/null 2>&1 &&
	svcb_wait_count "$sim" "$n" 60
}

sc_measure()
{
	local cfg=$1 addr=$SVCB_VIP sim n

	[[ -n ${SVCB_SRC[$cfg]:-} ]] || return 1
	[[ $cfg == direct ]] && addr=${SVCB_DST_IP[direct]}
	traffic_iperf3 "${SVCB_SRC[$cfg]}" "$addr" 1 &&
	traffic_sockperf "${SVCB_SRC[$cfg]}" "$addr" tcp &&
	traffic_connrate "${SVCB_SRC[$cfg]}" "$addr" || return 1
	[[ $cfg == direct ]] && return 0
	sim=$(svcb_sim "$cfg")
	n=${cfg##*-}
	svcb_add_one "$sim" "$n" && svcb_program "$sim" "$n"
}

# Copes with a half-done setup: stops the servers in the pods, then takes
# down every simulation that may be up (down is idempotent).
sc_teardown()
{
	local cfg sim ret=0

	for cfg in "${!SVCB_DST[@]}"; do
		traffic_servers_stop "${SVCB_DST[$cfg]}"
	done
	SVCB_DST=()
	for sim in "${SVCB_SIMS[@]}"; do
		bench_log "services: taking $sim down"
		timeout -k 10 "$SVCB_TIMEOUT_DOWN" "$KNETSIM" down -q --name "$sim" \
			>>"$BENCH_TMP/services-teardown.log" 2>&1
		if ip netns list | awk -v p="$sim:" 'index($1, p) == 1 { f = 1 } END { exit !f }'; then
			bench_warn "services: namespaces of $sim remain"
			ret=1
		fi
	done
	SVCB_SIMS=()
	return $ret
}
