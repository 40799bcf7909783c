-- Writes the op table of docs/guide.md anew from the op records:
--   vaegraph scripts/op_table.lua [docs/guide.md]
-- Run it after adding or changing an op; the test docs.ops_list fails until
-- the guide matches.
local optable = require "vaegraph.optable"
local path = arg[1] or "docs/guide.md"
local f = assert(io.open(path, "rb"))
local text = f:read("*a")
f:close()
local new, why = optable.apply(text)
if not new then error(path .. ": " .. why, 0) end
require("vaegraph.files").write_atomic(path, new)
print(new == text and (path .. ": the op table was up to date") or (path .. ": op table written"))
