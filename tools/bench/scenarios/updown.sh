# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # SC_* are read by lib.sh
#
# How long `knetsim up` and `knetsim down` take, wall clock, until the
# command returns: for the default topology and for 50 workers
# (topologies/fifty.yaml). Each measurement is a full up then down of a
# simulation named after this run, so nothing of it outlives the round.

SC_DESC="time of knetsim up and down: default topology and 50 workers"
SC_METRICS=(
	"up_s|s|lower|knetsim up, start to return"
	"down_s|s|lower|knetsim down, start to return"
)
SC_CONFIGS=(default fifty)
SC_BASELINE=default
SC_TARGETS=(
	"default up_s < 5"
	"default down_s < 2"
	"fifty up_s < 15"
)

KNETSIM=${KNETSIM:-$BENCH_SRCDIR/build/knetsim}
UPDOWN_TIMEOUT_UP=300
UPDOWN_TIMEOUT_DOWN=120
UPDOWN_SIM=		# the simulation that may be up, for sc_teardown

updown_topology()
{
	case $1 in
	default) printf '%s\n' "$BENCH_SRCDIR/conf/default.yaml" ;;
	fifty) printf '%s\n' "$BENCH_DIR/topologies/fifty.yaml" ;;
	*) return 1 ;;
	esac
}

updown_sim()
{
	printf '%s-%s-%s\n' "${BENCH_SIM_PREFIX:-kbench}" "$$" "$1"
}

sc_check()
{
	local c f

	[[ -x $KNETSIM ]] ||
		{ echo "$KNETSIM is missing: run make (or set KNETSIM)" >&2; return 1; }
	for c in "${SC_CONFIGS[@]}"; do
		f=$(updown_topology "$c")
		[[ -r $f ]] || { echo "$c: no topology file $f" >&2; return 1; }
		# graph loads and validates the file without building anything.
		"$KNETSIM" graph -t "$f" --format json >/dev/null ||
			{ echo "$c: $f does not load" >&2; return 1; }
	done
}

# Namespaces of the simulation still present (there should be none).
updown_leftovers()
{
	ip netns list | awk -v p="$1:" 'index($1, p) == 1 { print $1 }'
}

sc_measure()
{
	local cfg=$1 sim file log t0 t1 t2 left

	sim=$(updown_sim "$cfg")
	file=$(updown_topology "$cfg") || return 1
	log=$BENCH_TMP/updown-$cfg.log
	printf '== %s\n' "$(date -u)" >>"$log"

	UPDOWN_SIM=$sim
	t0=$(bench_now)
	if ! timeout --foreground -k 10 "$UPDOWN_TIMEOUT_UP" \
		"$KNETSIM" up -q -t "$file" --name "$sim" >>"$log" 2>&1; then
		bench_warn "updown: knetsim up ($cfg) failed:"
		tail -n 5 "$log" >&2
		return 1
	fi
	t1=$(bench_now)
	if ! timeout --foreground -k 10 "$UPDOWN_TIMEOUT_DOWN" \
		"$KNETSIM" down -q --name "$sim" >>"$log" 2>&1; then
		bench_warn "updown: knetsim down ($cfg) failed:"
		tail -n 5 "$log" >&2
		return 1
	fi
	t2=$(bench_now)
	UPDOWN_SIM=

	left=$(updown_leftovers "$sim")
	if [[ -n $left ]]; then
		bench_warn "updown: knetsim down left namespaces behind:" $left
		return 1
	fi
	printf 'up_s %s\ndown_s %s\n' "$(bench_elapsed "$t0" "$t1")" \
		"$(bench_elapsed "$t1" "$t2")"
}

# A round that failed or was interrupted may leave its simulation up.
sc_teardown()
{
	local sim=$UPDOWN_SIM

	[[ -n $sim ]] || return 0
	UPDOWN_SIM=
	bench_log "updown: taking $sim down"
	timeout -k 10 "$UPDOWN_TIMEOUT_DOWN" "$KNETSIM" down -q --name "$sim" \
		>>"$BENCH_TMP/updown-teardown.log" 2>&1
	[[ -z $(updown_leftovers "$sim") ]] ||
		{ bench_warn "updown: namespaces of $sim remain"; return 1; }
}
