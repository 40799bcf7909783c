-- The guide's op table, made from the op records (ops/ops.def lists them;
-- each record's doc and attributes say what goes in its row), so the guide
-- cannot drift from the ops. scripts/op_table.lua writes it into
-- docs/guide.md; a test checks that the guide holds what this makes.
local core = require "vaegraph.core"
local optable = {}

optable.BEGIN = "<!-- op table: made by scripts/op_table.lua from the op records; do not edit by hand -->"
optable.END = "<!-- end of the op table -->"

local function number(v)
  if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
  return string.format("%g", v)
end

local function option(a)
  if a.kind == "dims" then return string.format("`%s` (a list)", a.name) end
  if a.kind == "choice" then
    local choices = {}
    for c in a.choices:gmatch("[^|]+") do choices[#choices + 1] = c end
    choices[a.default + 1] = choices[a.default + 1] .. " (default)"
    local last = table.remove(choices)
    return string.format("`%s`: %s or %s", a.name, table.concat(choices, ", "), last)
  end
  return string.format("`%s` (%s)", a.name, a.shown or number(a.default))
end

-- The table's lines, a row per op that is not a source.
function optable.lines()
  local lines = { "| op | inputs → output | options (default) |", "| --- | --- | --- |" }
  for _, op in ipairs(core.ops()) do
    if not op.source then
      local opts = {}
      for i, a in ipairs(op.attrs) do opts[i] = option(a) end
      lines[#lines + 1] = string.format("| `%s` | %s | %s |", op.name, op.doc or "", table.concat(opts, ", "))
    end
  end
  return lines
end

-- The guide's text with its op table made anew; nil and a reason when the
-- markers are missing.
function optable.apply(text)
  local a = text:find(optable.BEGIN, 1, true)
  local b = text:find(optable.END, 1, true)
  if not a or not b or b < a then return nil, "the guide has no op table markers" end
  return text:sub(1, a + #optable.BEGIN) .. table.concat(optable.lines(), "\n") .. "\n" .. text:sub(b)
end

return optable
