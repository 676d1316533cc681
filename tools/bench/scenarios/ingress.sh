# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # SC_* are read by lib.sh
#
# HTTP through the ingress (nginx on one worker, proxying to a service VIP)
# against straight to the VIP, from the same client node, with wrk, for
# proxy bpf and proxy nft, in one interleaved run.
#
# Each proxy gets one small simulation, brought up once per run: one
# cluster of four workers and one etcd member. Aw1 runs the ingress (port
# 8001, /svc1 -> 100.64.11.1:8000), Aw2 and Aw3 one responder pod each
# behind the VIP (knetsim-responder --http: one response per connection,
# then close), Aw4 is the client. Configurations:
#   vip-P       wrk on Aw4 -> 100.64.11.1:8000 (Aw4's proxy picks the pod)
#   ingress-P   wrk on Aw4 -> Aw1:8001/svc1 (kept-alive to nginx; nginx
#               opens one connection to the VIP per request, which Aw1's
#               proxy balances)

INGRESS_CONNS=${INGRESS_CONNS:-8}
SC_DESC="HTTP through the nginx ingress against straight to the VIP (wrk), proxy bpf and nft"
SC_METRICS=(
	"req_per_s|req/s|higher|wrk: requests per second ($INGRESS_CONNS connections, 1 thread)"
	"lat_p50_us|us|lower|wrk: request latency, median"
	"lat_p99_us|us|lower|wrk: request latency, 99th percentile"
	"errors|count|lower|wrk: socket errors and non-2xx answers"
)
SC_CONFIGS=(vip-bpf ingress-bpf vip-nft ingress-nft)
SC_BASELINE=vip-bpf
SC_TARGETS=(
	"ingress-bpf errors <= 0"
	"ingress-nft errors <= 0"
	"ingress-bpf req_per_s >= 0.5 vip-bpf"
	"ingress-nft req_per_s >= 0.5 vip-nft"
)

INGRESS_VIP=100.64.11.1
INGRESS_W1=10.0.0.1
INGRESS_TIMEOUT_UP=300
INGRESS_TIMEOUT_DOWN=120
INGRESS_SIMS=()

ingress_sim()
{
	printf '%s-%s-ing-%s\n' "${BENCH_SIM_PREFIX:-kbench}" "$$" "$1"
}

ingress_topology()
{
	cat <<EOF
name: ingress-$1
underlay:
  subnet: 10.0.0.0/24
clusters:
  - name: C0
    workers: [Aw1, Aw2, Aw3, Aw4]
    etcd: [Ae1]
    network:
      Network: 11.0.0.0/8
      SubnetLen: 20
      SubnetMin: 11.10.0.0
      SubnetMax: 11.99.0.0
      Backend: {Type: vxlan, VNI: 100, Port: 8472}
    datapath: {routing: bpf, proxy: $1}
    pods:
      - {name: ic0, worker: Aw2, command: [knetsim-responder, --http, --tcp, "8000", --text, S1-W2]}
      - {name: ic1, worker: Aw3, command: [knetsim-responder, --http, --tcp, "8000", --text, S1-W3]}
    services:
      - {name: svc1, vip: $INGRESS_VIP, pods: [ic0, ic1]}
    ingresses:
      - name: grp1
        worker: Aw1
        port: 8001
        paths:
          - {path: /svc1, service: svc1, port: 8000}
EOF
}

sc_check()
{
	local p f

	for p in wrk nginx curl timeout; do
		command -v "$p" >/dev/null ||
			{ echo "$p is not installed (make deps)" >&2; return 1; }
	done
	[[ -x $KNETSIM ]] ||
		{ echo "$KNETSIM is missing: run make (or set KNETSIM)" >&2; return 1; }
	for p in bpf nft; do
		f=$BENCH_TMP/ingress-$p.yaml
		ingress_topology "$p" >"$f" || return 1
		"$KNETSIM" graph -t "$f" --format json >/dev/null ||
			{ echo "$f does not load" >&2; return 1; }
	done
}

# The URL a configuration fetches.
ingress_url()
{
	case $1 in
	vip-*) printf 'http://%s:8000/\n' "$INGRESS_VIP" ;;
	ingress-*) printf 'http://%s:8001/svc1\n' "$INGRESS_W1" ;;
	esac
}

ingress_answers()
{
	traffic_exec "$(ingress_sim "$1"):Aw4" curl -sf -m 2 "$2" | grep -q '^S1-W'
}

ingress_up()
{
	local proxy=$1 sim file=$BENCH_TMP/ingress-$1.yaml log=$BENCH_TMP/ingress-$1.log

	sim=$(ingress_sim "$proxy")
	ingress_topology "$proxy" >"$file" || return 1
	INGRESS_SIMS+=("$sim")
	bench_log "ingress: knetsim up $sim (proxy $proxy)"
	if ! timeout --foreground -k 10 "$INGRESS_TIMEOUT_UP" "$KNETSIM" up -q \
		-t "$file" --name "$sim" >>"$log" 2>&1; then
		bench_warn "ingress: knetsim up ($proxy) failed:"
		tail -n 5 "$log" >&2
		return 1
	fi
	# Both paths answer before any figure is taken.
	if ! bench_wait_for 20 ingress_answers "$proxy" "$(ingress_url vip-)" ||
	   ! bench_wait_for 20 ingress_answers "$proxy" "$(ingress_url ingress-)"; then
		bench_warn "ingress: $sim: Aw4 gets no answer from the VIP or the ingress"
		return 1
	fi
}

sc_setup()
{
	ingress_up bpf && ingress_up nft
}

# wrk's "50%   1.23ms" as microseconds.
ingress_us()
{
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000
		else if (v ~ /s$/) m = 1000000; else exit 1
		printf "%.1f\n", n * m
	}'
}

sc_measure()
{
	local cfg=$1 proxy=${1#*-} out rps p50 p99 errs

	traffic_prefix "$(ingress_sim "$proxy"):Aw4" client
	out=$("${TRAFFIC_PREFIX[@]}" timeout -k 5 $((TRAFFIC_SECONDS + 20)) \
		wrk -t1 -c"$INGRESS_CONNS" -d"${TRAFFIC_SECONDS}s" --latency \
		"$(ingress_url "$cfg")" 2>&1) || {
		bench_warn "ingress: $cfg: wrk failed: $out"
		return 1
	}
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p50=$(ingress_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	p99=$(ingress_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	errs=$(awk '/Socket errors:/ { gsub(/,/, ""); s += $4 + $6 + $8 + $10 }
		    /Non-2xx or 3xx responses:/ { s += $5 }
		    END { print s + 0 }' <<<"$out")
	[[ -n $rps && -n $p50 && -n $p99 ]] || {
		bench_warn "ingress: $cfg: cannot read wrk's output: $out"
		return 1
	}
	printf 'req_per_s %s\nlat_p50_us %s\nlat_p99_us %s\nerrors %s\n' \
		"$rps" "$p50" "$p99" "$errs"
}

sc_teardown()
{
	local sim ret=0

	for sim in "${INGRESS_SIMS[@]}"; do
		bench_log "ingress: taking $sim down"
		timeout -k 10 "$INGRESS_TIMEOUT_DOWN" "$KNETSIM" down -q --name "$sim" \
			>>"$BENCH_TMP/ingress-teardown.log" 2>&1
		if ip netns list | awk -v p="$sim:" 'index($1, p) == 1 { f = 1 } END { exit !f }'; then
			bench_warn "ingress: namespaces of $sim remain"
			ret=1
		fi
	done
	INGRESS_SIMS=()
	return $ret
}
