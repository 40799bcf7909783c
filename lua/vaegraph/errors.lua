-- Errors a user's script causes name the script's line ("vae.lua:12: ..."),
-- found by skipping the library's own frames, never a file inside lua/.
local core = require "vaegraph.core"
local errors = {}

-- Raises "<script line>: <formatted message>".
function errors.fail(fmt, ...)
  local where = core.where()
  local msg = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  error(where ~= "" and (where .. ": " .. msg) or msg, 0)
end

-- A list's names in its order, or a set's keys sorted, for messages.
local function names_of(valid)
  if #valid > 0 then return table.concat(valid, ", ") end
  local names = {}
  for k in pairs(valid) do names[#names + 1] = k end
  table.sort(names)
  return table.concat(names, ", ")
end

-- An options table may hold only the keys listed (a list of names or a set):
-- a misspelt one is an error that names the valid ones.
function errors.check_keys(what, opts, valid)
  if opts == nil then return end
  if type(opts) ~= "table" then errors.fail("%s: options must be a table, got %s", what, type(opts)) end
  local set = {}
  for k, v in pairs(valid) do set[type(k) == "string" and k or v] = true end
  for k in pairs(opts) do
    if not set[k] then errors.fail("%s: unknown option '%s' (valid: %s)", what, tostring(k), names_of(valid)) end
  end
end

return errors
