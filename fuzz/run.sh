#!/usr/bin/env bash
# Fuzzes each target for SECONDS (default 10), seeding its corpus from the repository's own
# fixtures: recorded agent transcripts, the shipped templates, settings and verdict samples.
# Corpora and crashes stay under target/fuzz/; a crash fails the run and names its input.
#   fuzz/run.sh 600            # ten minutes each (docs/reliability.md)
#   fuzz/run.sh 10 verdict     # one target
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(stream_claude stream_codex stream_gemini settings template policy verdict)
root=$(cd .. && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}/fuzz
# cargo-fuzz needs nightly flags; the stable toolchain accepts them this way.
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --version 0.13.2 --locked
cargo fuzz build -s none -O -a
corpus_root=$CARGO_TARGET_DIR/corpus
seed() {
  local target=$1 dir=$corpus_root/$1
  mkdir -p "$dir"
  case $target in
    stream_*) cp "$root"/crates/baton-core/tests/fixtures/transcripts/"${target#stream_}"_*.jsonl "$dir"/ ;;
    settings) printf '%s' '{"worktrees": {"retentionDays": 7}, "agents": {"envAllow": ["AWS_PROFILE"]}, "clis": {"claude": {"args": ["--verbose"]}}}' > "$dir/full.json"
              printf '%s' '{"wizard": {"planner": "claude"}, "health": {"idleReleaseSecs": 600}}' > "$dir/wizard.json" ;;
    template) cp "$root"/templates/*.toml "$dir"/ ;;
    policy)   printf 'allow_tools = ["Read", "mcp__github__*"]\ndeny_tools = ["WebFetch"]\ndeny_commands = ["git push*", "curl * | sh"]\nenv_allow = ["AWS_*"]\nsandbox = true\n---\nmake && git push origin main\n' > "$dir/full.toml" ;;
    verdict)  printf '%s' 'Looks good.\n```json\n{"verdict": "approve", "findings": []}\n```' > "$dir/approve.txt"
              printf '%s' '{"verdict": "request_changes", "findings": [{"file": "a.rs", "line": 3, "severity": "major", "message": "off by one"}]}' > "$dir/changes.txt" ;;
  esac
}
for target in "${targets[@]}"; do
  seed "$target"
  echo "fuzz: $target for ${seconds}s"
  cargo fuzz run -s none -O -a "$target" "$corpus_root/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$CARGO_TARGET_DIR/crashes-$target-" -print_final_stats=1 2>&1 \
    | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|thread|SUMMARY)' || true
  # A crash leaves its input behind: fail with its name.
  if compgen -G "$CARGO_TARGET_DIR/crashes-$target-*" >/dev/null; then
    echo "fuzz: $target crashed; inputs: $(ls "$CARGO_TARGET_DIR"/crashes-"$target"-*)" >&2
    exit 1
  fi
done
