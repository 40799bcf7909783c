-- ops/ops.def is the one list of ops: every op in it (but the sources,
-- inputs and parameters) has a Lua function and a row in the guide's op
-- table, and the table names no op that is not in the list. (Each has a
-- gradient check too: ctest registers grad.<op> for every op of ops.def,
-- and test_grad fails an op it has no case for.) Usage: ops_list.lua GUIDE
local vg = require "vaegraph"
local guide = assert(arg[1], "usage: ops_list.lua docs/guide.md")

local ops, problems = {}, {}
for _, op in ipairs(vg.core.ops()) do
  if not op.source then ops[op.name] = op end
end

-- The names in the first column of the table under "### Ops".
local in_table, section = {}, false
for line in io.lines(guide) do
  if line:match("^### ") then section = line == "### Ops" end
  if section and line:match("^| ") then
    local first = line:match("^| ([^|]*) |")
    for name in first:gmatch("`([%w_]+)`") do in_table[name] = true end
  end
end

local names = {}
for name in pairs(ops) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
  if type(vg.op[name]) ~= "function" then problems[#problems + 1] = name .. ": no vg.op." .. name end
  -- The op itself, or the layer or graph method that makes it.
  if rawget(vg, name) == nil and vg.graph{}[name] == nil then problems[#problems + 1] = name .. ": no vg." .. name .. " nor g:" .. name end
  if not in_table[name] then problems[#problems + 1] = name .. ": no row in the guide's op table (" .. guide .. ", ### Ops)" end
end
for name in pairs(in_table) do
  if not ops[name] and name ~= "none" then problems[#problems + 1] = name .. ": in the guide's op table but not in ops/ops.def" end
end
if #problems > 0 then error("\n  " .. table.concat(problems, "\n  "), 0) end
print(string.format("ok: %d ops", #names))
