-- interpolation.png: ten evenly spaced codes from test image 2k's code to
-- image 2k+1's (show.code), decoded (show.z, show.decoded), a pair a row;
-- a conditional decoder (show.condition) gets the first image's class.
local common = require "vaegraph.pictures.common"
local samples = require "vaegraph.pictures.samples"

local STEPS = 10

local function prepare(run, show)
  if not show.code then return nil end
  local s = samples.decoder(run, show)
  if not s then return nil end
  s.code = show.code
  s.encode = run.graph:compile{ name = "encode", fetch = { show.code } }
  return s
end

local function draw(run, s)
  local g, batch = run.graph, run.batch
  local pairs_ = math.min(4, math.floor(batch / STEPS), math.floor(run.ntest / 2))
  if pairs_ == 0 then return end -- a batch under 10 holds no interpolation row
  local count = math.min(batch, run.ntest)
  common.fill_test(run, 0, count)
  s.encode:run(common.SHOW_KEY + run.epoch)
  local codes = s.encode:value(s.code.id)
  local labels = run.data.test:labels(0, count)
  local zdim = s.code:per_example()
  local z = {}
  for i = 1, batch * zdim do z[i] = 0 end
  for p = 0, pairs_ - 1 do
    local a, b = 2 * p, 2 * p + 1
    for t = 0, STEPS - 1 do
      local f = t / (STEPS - 1)
      for j = 1, zdim do z[(p * STEPS + t) * zdim + j] = (1 - f) * codes[a * zdim + j] + f * codes[b * zdim + j] end
    end
  end
  g.core:data(s.z.id, z)
  samples.set_condition(run, s, function(r) return labels[2 * math.floor(r / STEPS) + 1] end)
  samples.decode_grid(run, s, run.out .. "/interpolation.png", STEPS, pairs_ * STEPS)
end

return { keys = { "code", "z", "decoded", "condition" }, prepare = prepare, draw = draw }
