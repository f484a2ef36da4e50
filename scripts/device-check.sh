#!/usr/bin/env bash
# Loss and generation on this machine's accelerators (ONNX Runtime's WebGPU, and CUDA when its libraries are
# present) beside the CPU, for GPT-2 124M and XL shapes; exits 0 with the reason when there is none. See
# scripts/device-check.ts for the options (--help).
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --conditions=@judgekit/source --import tsx/esm scripts/device-check.ts "$@"
