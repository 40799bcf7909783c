-- fuzz_cli: the command-line parser (lua/vaegraph/cli.lua) as vg.options
-- calls it, run by fuzz_lua.c. The input's first byte picks a script's
-- defaults (copied from graphs/); the rest, split at NUL bytes and
-- newlines, is argv. A rejection must be cli.lua's own error(); what it
-- accepts must have every option of the kind its default or flag says, and
-- the help text must render.
local cli = require "vaegraph.cli"

local DEFAULTS = {
  {},
  { epochs = 10, batch = 128, hidden = 400, latent = 20, lr = 1e-3, iwae = 0 },
  { epochs = 10, batch = 256, config = "matched", latent = 8, prior = "gaussian", hidden = 1000 },
  { epochs = 10, batch = 32, embed = 300, hidden = 256, latent = "16", variables = 16, categories = 16, lr = 1e-3 },
  { epochs = 10, batch = 100, variables = 30, categories = 10, lr = 1e-3, hard = false },
  { epochs = 10, batch = 128, hidden = 0, latent = 0, lr = 1e-3, normal = 0, csv = "", label = "label" },
}

local function check(cond, fmt, ...)
  if not cond then error("invariant: " .. string.format(fmt, ...), 0) end
end

local function split(s)
  local argv = {}
  for a in (s .. "\n"):gmatch("([^\0\n]*)[\0\n]") do argv[#argv + 1] = a end
  return argv
end

return {
  raisers = { "vaegraph/cli.lua" },
  run = function(input, write)
    if #input < 1 then return end
    local defaults = DEFAULTS[input:byte(1) % #DEFAULTS + 1]
    local opts, given = cli.parse(split(input:sub(2)), defaults)
    for key in pairs(given) do check(opts[key] ~= nil, "--%s given but unset", key) end
    for _, f in ipairs(cli.flags) do
      local v, kind = opts[f[1]], f[2]
      if v ~= nil then
        if kind == "integer" then
          check(math.type(v) ~= nil and v % 1 == 0 and v >= 0, "--%s = %s", f[1], tostring(v))
        else
          check(type(v) == kind, "--%s = %s (%s)", f[1], tostring(v), kind)
        end
      end
    end
    for k, d in pairs(defaults) do
      if not cli.flag(k) then check(type(opts[k]) == type(d), "--%s = %s, default %s", k, tostring(opts[k]), tostring(d)) end
    end
    check(type(cli.help("fuzz.lua", defaults)) == "string", "help")
  end,
}
