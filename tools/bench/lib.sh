# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# The benchmark harness: resources a scenario creates (PIDs, namespaces) and
# their cleanup, the interleaved measurement loop, statistics and the
# table/JSON output. Sourced by tools/bench/run; see docs/performance.md.
#
# A scenario is tools/bench/scenarios/NAME.sh ($BENCH_SCENARIOS/NAME.sh when
# that is set: the harness's own tests use made-up scenarios). It sets
#   SC_DESC       one line: what it measures
#   SC_METRICS    array of "name|unit|higher-or-lower|description"
#   SC_CONFIGS    array of configuration names, measured in this order
#   SC_BASELINE   the configuration ratios are taken against
#   SC_TARGETS    optional array of "config metric op limit" (op: < <= > >=)
#                 or "config metric op factor other-config" (the limit is
#                 factor times other-config's median: "bpf conn_per_s >= 0.9
#                 veth"); reported as pass/fail on the median, never an
#                 exit status
# and defines
#   sc_measure CONFIG   measures CONFIG once; prints "metric value" lines on
#                       stdout, progress on stderr; non-zero on failure
#   sc_check            optional: prerequisites; non-zero (with a message on
#                       stderr) skips the scenario
#   sc_setup            optional: once before the first measurement
#   sc_teardown         optional: undoes sc_setup; also runs on failure and
#                       Ctrl-C, so it must cope with a half-done setup
# Background processes go through bench_spawn and namespaces through
# bench_netns_add: bench_cleanup removes them whatever happens.

BENCH_PIDS=()
BENCH_NETNS=()

bench_log()
{
	printf 'bench: %s\n' "$*" >&2
}

bench_warn()
{
	printf 'bench: warning: %s\n' "$*" >&2
}

bench_now()
{
	printf '%s\n' "$EPOCHREALTIME"
}

# Seconds between two bench_now stamps, 3 decimals.
bench_elapsed()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'
}

bench_is_number()
{
	[[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]
}

# ---- resources ----

# bench_spawn LOG CMD... : runs CMD in the background with its output in
# LOG and records its PID (also left in BENCH_LAST_PID). `ip netns exec`
# execs its command, so the PID is the server's own.
bench_spawn()
{
	local log=$1

	shift
	"$@" </dev/null >"$log" 2>&1 &
	BENCH_LAST_PID=$!
	BENCH_PIDS+=("$BENCH_LAST_PID")
}

# Stops one recorded PID: TERM, then KILL after 3 s; reaps it.
bench_stop_pid()
{
	local pid=$1 i

	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		bench_warn "PID $pid ignored SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

bench_netns_add()
{
	ip netns add "$1" || return 1
	BENCH_NETNS+=("$1")
}

# Everything this scenario created, in reverse: its own teardown, the
# processes, the namespaces. Safe to run twice.
bench_cleanup()
{
	local i

	if declare -F sc_teardown >/dev/null; then
		sc_teardown || bench_warn "teardown of ${BENCH_SCENARIO:-?} failed"
	fi
	for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--))
	do
		bench_stop_pid "${BENCH_PIDS[i]}"
	done
	BENCH_PIDS=()
	for ((i = ${#BENCH_NETNS[@]} - 1; i >= 0; i--))
	do
		if [[ -e /run/netns/${BENCH_NETNS[i]} ]]; then
			ip netns del "${BENCH_NETNS[i]}" ||
				bench_warn "could not delete namespace ${BENCH_NETNS[i]}"
		fi
	done
	BENCH_NETNS=()
}

# bench_wait_for TIMEOUT_S CMD... : polls CMD every 0.1 s until it succeeds.
bench_wait_for()
{
	local deadline=$((SECONDS + $1))

	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

# ---- scenario files ----

bench_scenario_file()
{
	printf '%s/%s.sh\n' "$BENCH_SCENARIOS" "$1"
}

bench_scenario_names()
{
	local f

	for f in "$BENCH_SCENARIOS"/*.sh; do
		[[ -e $f ]] || continue
		f=${f##*/}
		printf '%s\n' "${f%.sh}"
	done
}

# Checks what a scenario file declared; prints the problems.
bench_scenario_valid()
{
	local m c t of ok=0 base_found=0 name better fields

	[[ -n ${SC_DESC:-} ]] || { bench_warn "$BENCH_SCENARIO: SC_DESC is empty"; ok=1; }
	declare -F sc_measure >/dev/null ||
		{ bench_warn "$BENCH_SCENARIO: no sc_measure function"; ok=1; }
	((${#SC_METRICS[@]})) ||
		{ bench_warn "$BENCH_SCENARIO: SC_METRICS is empty"; ok=1; }
	for m in "${SC_METRICS[@]}"; do
		IFS='|' read -r name _ better _ <<<"$m"
		fields=${m//[^|]/}
		if [[ ! $name =~ ^[a-z0-9_]+$ || ${#fields} -ne 3 ||
		      ($better != higher && $better != lower) ]]; then
			bench_warn "$BENCH_SCENARIO: SC_METRICS entry '$m' (expected name|unit|higher-or-lower|description)"
			ok=1
		fi
	done
	((${#SC_CONFIGS[@]})) ||
		{ bench_warn "$BENCH_SCENARIO: SC_CONFIGS is empty"; ok=1; }
	for c in "${SC_CONFIGS[@]}"; do
		[[ $c =~ ^[A-Za-z0-9_.-]+$ ]] ||
			{ bench_warn "$BENCH_SCENARIO: configuration name '$c'"; ok=1; }
		[[ $c == "${SC_BASELINE:-}" ]] && base_found=1
	done
	((base_found)) ||
		{ bench_warn "$BENCH_SCENARIO: SC_BASELINE '${SC_BASELINE:-}' is not in SC_CONFIGS"; ok=1; }
	for t in "${SC_TARGETS[@]}"; do
		read -r c m _ _ of <<<"$t"
		if [[ ! $t =~ ^[A-Za-z0-9_.-]+\ [a-z0-9_]+\ (\<|\<=|\>|\>=)\ [0-9]+(\.[0-9]+)?(\ [A-Za-z0-9_.-]+)?$ ]] ||
		   ! bench_has_config "$c" || ! bench_has_metric "$m" ||
		   { [[ -n $of ]] && ! bench_has_config "$of"; }; then
			bench_warn "$BENCH_SCENARIO: SC_TARGETS entry '$t' (expected 'config metric op limit [other-config]' of declared configs and metric)"
			ok=1
		fi
	done
	return $ok
}

bench_has_config()
{
	local c

	for c in "${SC_CONFIGS[@]}"; do
		[[ $c == "$1" ]] && return 0
	done
	return 1
}

bench_has_metric()
{
	local m

	for m in "${SC_METRICS[@]}"; do
		[[ ${m%%|*} == "$1" ]] && return 0
	done
	return 1
}

# ---- measuring ----

# Measures one configuration once; appends "round config metric value"
# lines to the samples file, or a failure line.
bench_measure_once()
{
	local round=$1 cfg=$2 out=$BENCH_TMP/measure.out line m v rest n=0 rc

	bench_log "$BENCH_SCENARIO: round $round: $cfg"
	sc_measure "$cfg" >"$out"
	rc=$?
	if ((rc)); then
		bench_warn "$BENCH_SCENARIO: $cfg failed in round $round (status $rc); its samples are dropped"
		printf '%s\t%s\tstatus %s\n' "$round" "$cfg" "$rc" >>"$BENCH_TMP/failures.tsv"
		return 1
	fi
	while IFS= read -r line; do
		read -r m v rest <<<"$line"
		[[ -z $m ]] && continue
		if ! bench_has_metric "$m" || ! bench_is_number "$v" || [[ -n $rest ]]; then
			bench_warn "$BENCH_SCENARIO: $cfg: ignoring output line '$line' (expected 'metric value')"
			continue
		fi
		printf '%s\t%s\t%s\t%s\n' "$round" "$cfg" "$m" "$v" >>"$BENCH_TMP/samples.tsv"
		n=$((n + 1))
	done <"$out"
	((n)) || bench_warn "$BENCH_SCENARIO: $cfg printed no metric in round $round"
	return 0
}

# The interleaved loop: each round measures every configuration once, in
# SC_CONFIGS order (A B C A B C ...), so slow drifts of a shared machine hit
# every configuration alike. Warm-up rounds are measured and thrown away.
bench_rounds()
{
	local r c

	for ((r = 1; r <= BENCH_WARMUP; r++)); do
		for c in "${SC_CONFIGS[@]}"; do
			bench_log "$BENCH_SCENARIO: warm-up $r: $c"
			sc_measure "$c" >/dev/null ||
				bench_warn "$BENCH_SCENARIO: warm-up of $c failed"
		done
	done
	for ((r = 1; r <= BENCH_ROUNDS; r++)); do
		for c in "${SC_CONFIGS[@]}"; do
			bench_measure_once "$r" "$c"
		done
	done
}

# ---- results ----

bench_json_strings()
{
	jq -cn '$ARGS.positional' --args "$@"
}

# The scenario's result document: declarations, every sample, per metric
# and configuration n/median/min/max/ratio, and the targets.
bench_scenario_json()
{
	local status=$1 reason=$2 started=$3 ended=$4

	jq -n \
		--arg name "$BENCH_SCENARIO" --arg desc "${SC_DESC:-}" \
		--arg status "$status" --arg reason "$reason" \
		--arg baseline "${SC_BASELINE:-}" \
		--argjson configs "$(bench_json_strings "${SC_CONFIGS[@]}")" \
		--argjson metrics "$(bench_json_strings "${SC_METRICS[@]}")" \
		--argjson targets "$(bench_json_strings "${SC_TARGETS[@]}")" \
		--argjson rounds "$BENCH_ROUNDS" --argjson warmup "$BENCH_WARMUP" \
		--argjson seconds "$(bench_elapsed "$started" "$ended")" \
		--rawfile samples "$BENCH_TMP/samples.tsv" \
		--rawfile failures "$BENCH_TMP/failures.tsv" '
	def lines: split("\n") | map(select(length > 0) | split("\t"));
	def median: sort | length as $n |
		if $n == 0 then null
		elif $n % 2 == 1 then .[($n - 1) / 2]
		else (.[$n / 2 - 1] + .[$n / 2]) / 2 end;
	def stats: { n: length, median: median, min: min, max: max };

	($metrics | map(split("|") |
		{ name: .[0], unit: .[1], better: .[2], description: .[3] })) as $m |
	($samples | lines | map({ round: (.[0] | tonumber), config: .[1],
				  metric: .[2], value: (.[3] | tonumber) })) as $s |
	($failures | lines | map({ round: (.[0] | tonumber), config: .[1],
				   error: .[2] })) as $f |
	($m | map(.name as $mn | { key: $mn, value: (
		[$configs[] as $c | { key: $c, value: ([$s[] |
			select(.metric == $mn and .config == $c) | .value] |
			stats) }] | from_entries) }) | from_entries) as $stats |
	($stats | with_entries(.value |= (.[$baseline].median as $b |
		with_entries(.value.ratio = (if .value.median == null or
			$b == null or $b == 0 then null
			else .value.median / $b end))))) as $summary |
	{
		name: $name, description: $desc, status: $status,
		reason: (if $reason == "" then null else $reason end),
		rounds: $rounds, warmup_rounds: $warmup, seconds: $seconds,
		order: "interleaved", configs: $configs, baseline: $baseline,
		metrics: $m, samples: $s, failures: $f, summary: $summary,
		targets: ($targets | map(split(" ") |
			{ config: .[0], metric: .[1], op: .[2],
			  limit: (.[3] | tonumber), of: .[4] } |
			. + { bound: (if .of == null then .limit
				else $summary[.metric][.of].median as $o |
				if $o == null then null else .limit * $o end
				end),
			      median: $summary[.metric][.config].median } |
			. + { pass: (if .median == null or .bound == null then null
				elif .op == "<" then .median < .bound
				elif .op == "<=" then .median <= .bound
				elif .op == ">" then .median > .bound
				else .median >= .bound end) }))
	}'
}

# Numbers for humans: about four significant digits, no exponent.
bench_fmt()
{
	awk -v v="$1" 'BEGIN {
		if (v == "" || v == "null") { print "-"; exit }
		a = v < 0 ? -v : v
		if (a >= 1000) printf "%.0f\n", v
		else if (a >= 100) printf "%.1f\n", v
		else if (a >= 1) printf "%.2f\n", v
		else printf "%.3f\n", v
	}'
}

# Prints a scenario's tables from its JSON (file $1). Format: text or
# markdown ($BENCH_FORMAT).
bench_print_tables()
{
	local json=$1 md=0 name status reason rounds metric unit better desc
	local cfg n med lo hi ratio star line op lim of bound pass

	[[ $BENCH_FORMAT == markdown ]] && md=1
	IFS=$'\t' read -r name status rounds reason < <(jq -r \
		'[.name, .status, .rounds, (.reason // "")] | @tsv' "$json")
	if [[ $status != ok ]]; then
		printf '%s: %s: %s\n\n' "$name" "$status" "$reason"
		return
	fi
	if ((md)); then
		printf '#### %s: %s\n\n' "$name" "$(jq -r .description "$json")"
	else
		printf '%s: %s\n' "$name" "$(jq -r .description "$json")"
	fi
	printf '%s rounds, interleaved; ratio = median / median of %s (*)\n\n' \
		"$rounds" "$(jq -r .baseline "$json")"
	while IFS=$'\t' read -r metric unit better desc; do
		if ((md)); then
			printf '**%s** (%s, %s is better): %s\n\n' "$metric" "$unit" "$better" "$desc"
			printf '| config | n | median | min | max | ratio |\n'
			printf '|---|--:|--:|--:|--:|--:|\n'
		else
			printf '%s [%s, %s is better]: %s\n' "$metric" "$unit" "$better" "$desc"
			printf '  %-16s %3s %10s %10s %10s %7s\n' config n median min max ratio
		fi
		while IFS=$'\t' read -r cfg n med lo hi ratio; do
			star=
			if [[ $cfg == "$(jq -r .baseline "$json")" ]]; then
				star='*'
				((md)) && star='\*'
			fi
			if [[ $ratio == null || -z $ratio ]]; then
				ratio=-
			else
				ratio=$(awk -v r="$ratio" 'BEGIN { printf "%.2f", r }')
			fi
			if ((md)); then
				printf '| %s%s | %s | %s | %s | %s | %s |\n' "$cfg" "$star" "$n" \
					"$(bench_fmt "$med")" "$(bench_fmt "$lo")" \
					"$(bench_fmt "$hi")" "$ratio"
			else
				printf '  %-16s %3s %10s %10s %10s %7s\n' "$cfg$star" "$n" \
					"$(bench_fmt "$med")" "$(bench_fmt "$lo")" \
					"$(bench_fmt "$hi")" "$ratio"
			fi
		done < <(jq -r --arg m "$metric" '.configs[] as $c |
			.summary[$m][$c] | [$c, .n, .median, .min, .max, .ratio] |
			map(if . == null then "null" else tostring end) | @tsv' "$json")
		printf '\n'
	done < <(jq -r '.metrics[] | [.name, .unit, .better, .description] | @tsv' "$json")
	while IFS=$'\t' read -r cfg metric op lim of bound med pass; do
		if [[ $of == - ]]; then
			line="target $cfg $metric $op $lim"
		else
			line="target $cfg $metric $op $lim x $of ($(bench_fmt "$bound"))"
		fi
		line="$line: median $(bench_fmt "$med") -> $pass"
		((md)) && line="- $line"
		printf '%s\n' "$line"
	done < <(jq -r '.targets[] | [.config, .metric, .op, .limit,
		(.of // "-"), (.bound // "null"), (.median // "null"),
		(if .pass == null then "no data"
		elif .pass then "pass" else "FAIL" end)] | @tsv' "$json")
	if (($(jq '.targets | length' "$json"))); then
		printf '\n(targets are information, not a test)\n\n'
	fi
	if (($(jq '.failures | length' "$json"))); then
		jq -r --arg p "$( ((md)) && echo '- ')" \
			'.failures[] | "\($p)failed: round \(.round) \(.config): \(.error)"' "$json"
		printf '\n'
	fi
}

# Runs one scenario (call in a subshell: it sets traps and sources the
# scenario file) and writes its JSON to $2. Status: 0 measured, 3 skipped,
# 130/143 interrupted, 1 otherwise.
bench_run_scenario()
{
	local out=$2 started reason

	BENCH_SCENARIO=$1
	SC_DESC='' SC_BASELINE=''
	SC_METRICS=() SC_CONFIGS=() SC_TARGETS=()
	unset -f sc_measure sc_check sc_setup sc_teardown
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	: >"$BENCH_TMP/samples.tsv"
	: >"$BENCH_TMP/failures.tsv"
	started=$(bench_now)

	# shellcheck source=/dev/null
	if ! source "$(bench_scenario_file "$1")" || ! bench_scenario_valid; then
		bench_scenario_json error "the scenario file is invalid" \
			"$started" "$(bench_now)" >"$out"
		return 1
	fi
	if declare -F sc_check >/dev/null; then
		reason=$(sc_check 2>&1 >/dev/null)
		if (($?)); then
			bench_warn "$1: skipped: $reason"
			bench_scenario_json skipped "${reason:-sc_check failed}" \
				"$started" "$(bench_now)" >"$out"
			return 3
		fi
	fi
	bench_log "$1: $SC_DESC"
	if declare -F sc_setup >/dev/null && ! sc_setup; then
		bench_scenario_json error "setup failed" "$started" "$(bench_now)" >"$out"
		return 1
	fi
	bench_rounds
	bench_cleanup
	trap - EXIT
	bench_scenario_json ok "" "$started" "$(bench_now)" >"$out"
}
