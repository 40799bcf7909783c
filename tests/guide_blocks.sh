#!/bin/sh
# The guide's Lua blocks keep working as written: the walkthrough (the first
# block) compiles with --plan, and the gradients example runs.
#   guide_blocks.sh VAEGRAPH GUIDE
set -eu
vaegraph=$1 guide=$2
block() { awk -v want="$1" '/^```lua/ { n++; if (n == want) { f = 1; next } } /^```/ { if (f) exit } f' "$guide"; }
block 1 > guide_walkthrough.lua
"$vaegraph" --plan guide_walkthrough.lua | grep -q "plan 'train'" || { echo "the walkthrough does not plan"; exit 1; }
# The block under "### Gradients".
n=$(awk '/^### Gradients/ { g = 1 } /^```lua/ { n++; if (g) { print n; exit } }' "$guide")
block "$n" > guide_gradients.lua
"$vaegraph" guide_gradients.lua
echo "ok: the guide's examples"
