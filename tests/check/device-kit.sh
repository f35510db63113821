#!/usr/bin/env bash
# device-kit.sh BUILD_DIR - scripts/device-pack.sh + scripts/device-check.sh
# end to end on the default device (PoCL here; $YOLO_DEVICE) with one small model
# (yolov8n-320): the kit runs from a folder outside the repository with a
# clean environment (env -i: PATH, the caches and the test data only), its
# table says "ok"; then with a damaged reference the check must fail.
set -euo pipefail

build=$(cd "$1" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/device-kit-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
kit="$tmp/kit"
model=yolov8n-320

"$root/scripts/device-pack.sh" --build "$build" --out "$kit" --models "$model" \
  --iterations 3 --warmup 1

# the test setup's device choice (meson test --setup rusticl) goes along
pass=()
for v in YOLO_DEVICE RUSTICL_ENABLE; do
  [ -n "${!v:-}" ] && pass+=("$v=${!v}")
done
check() {
  (cd "$tmp" && env -i PATH=/usr/bin:/bin YOLO_TEST_DATA="$YOLO_TEST_DATA" \
    XDG_CACHE_HOME="$XDG_CACHE_HOME" POCL_CACHE_DIR="$POCL_CACHE_DIR" "${pass[@]}" \
    bash "$kit/bin/device-check.sh" --iterations 3 --warmup 1 "$@" "$model")
}

set +e
check >"$tmp/good.txt" 2>&1
rc=$?
set -e
cat "$tmp/good.txt"
if [ "$rc" != 0 ] || ! grep -Eq "^\| $model +\| +[0-9.]+ \| +[0-9.]+ \| +[0-9.]+ \|.*\| ok +\|$" "$tmp/good.txt"; then
  echo "FAIL: device-check.sh exited $rc or its table has no passing $model row" >&2
  exit 1
fi

# zero the first 4 KiB of the reference: 1024 box values (row cx) now differ
# (parity only: the timings were checked above)
dd if=/dev/zero of="$kit/data/$model.ref.f32" bs=4096 count=1 conv=notrunc status=none
set +e
check --no-bench >"$tmp/bad.txt" 2>&1
rc=$?
set -e
cat "$tmp/bad.txt"
if [ "$rc" != 1 ] || ! grep -Eq "^\| $model .*\| FAIL \(1024 bad\) +\|$" "$tmp/bad.txt"; then
  echo "FAIL: with a damaged reference device-check.sh exited $rc (want 1) or its table does not say FAIL (1024 bad)" >&2
  exit 1
fi
echo "PASS: device kit packed, checked (ok), and a damaged reference fails"
