-- ops/ops.def is the one list of ops: every op in it (but the sources,
-- inputs and parameters) has a Lua function, and the guide's op table is
-- the one its records make (scripts/op_table.lua writes it). Each has a
-- gradient check too: ctest registers grad.<op> for every op of ops.def,
-- and test_grad fails an op it has no case for. Usage: ops_list.lua GUIDE
local vg = require "vaegraph"
local optable = require "vaegraph.optable"
local guide = assert(arg[1], "usage: ops_list.lua docs/guide.md")

local problems, count = {}, 0
for _, op in ipairs(vg.core.ops()) do
  if not op.source then
    count = count + 1
    if type(vg.op[op.name]) ~= "function" then problems[#problems + 1] = op.name .. ": no vg.op." .. op.name end
    -- The op itself, or the layer or graph method that makes it.
    if rawget(vg, op.name) == nil and vg.graph{}[op.name] == nil then
      problems[#problems + 1] = op.name .. ": no vg." .. op.name .. " nor g:" .. op.name
    end
  end
end

local f = assert(io.open(guide, "rb"))
local text = f:read("*a")
f:close()
local made, why = optable.apply(text)
if not made then problems[#problems + 1] = guide .. ": " .. why
elseif made ~= text then
  problems[#problems + 1] = guide .. ": the op table is not the one the op records make; run `vaegraph scripts/op_table.lua`"
end
if #problems > 0 then error("\n  " .. table.concat(problems, "\n  "), 0) end
print(string.format("ok: %d ops", count))
