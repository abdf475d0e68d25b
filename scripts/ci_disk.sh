#!/usr/bin/env bash
# CI keeps its build cache (target/) between runs. Before building, drop
# what no build reads any more and make sure a whole build fits:
# - target/debug/incremental: incremental compilation is off in every
#   profile (Cargo.toml), so these are leftovers of older runs;
# - when the disk holding target/ has less than BRAINSTREAM_CI_NEED_GB free
#   (default 15; a whole CI run from nothing leaves 5.3 GB in target/, see
#   the README),
#   the whole target/debug: a full rebuild, slower but never "No space left
#   on device" halfway through (stop 30).
set -euo pipefail
cd "$(dirname "$0")/.."
need=${BRAINSTREAM_CI_NEED_GB:-15}
mkdir -p target
rm -rf target/debug/incremental
avail_kb=$(df -Pk target | awk 'NR == 2 { print $4 }')
avail_gb=$((avail_kb / 1048576))
echo "ci_disk: ${avail_gb} GiB free where target/ is; target/ holds $(du -sh target 2>/dev/null | cut -f1)" >&2
if [ "$avail_gb" -lt "$need" ] && [ -d target/debug ]; then
  echo "ci_disk: under ${need} GiB free: removing target/debug (an older build cache) before building" >&2
  rm -rf target/debug
  avail_kb=$(df -Pk target | awk 'NR == 2 { print $4 }')
  echo "ci_disk: now $((avail_kb / 1048576)) GiB free" >&2
fi
