-- The pictures a run draws after each epoch. Each is one function pair
-- registered under one name (the built-in ones are in pictures/, a file
-- each); a script registers its own with vg.pictures.register, or passes
-- vg.train{ pictures = { name = picture or false } } for this run only.
--
-- A picture is a table:
--   keys     the `show` keys it reads (so a misspelt key is an error)
--   prepare  function(run, show) -> state, or nil when `show` lacks what it
--            needs; runs before training, so it may compile plans
--   draw     function(run, state) after every epoch (and --eval-only); it
--            writes its file(s) into run.out, through the helpers below
-- `run` has graph, data, out, epoch, step, seed, batch, ntest, rows and
-- columns (metrics.csv so far), lo and hi (the pixel range), fill, and
-- test_scores (this epoch's per-example scores, as test_scores.csv has them).
local errors = require "vaegraph.errors"
local pictures = { registered = {}, order = {} }

function pictures.register(name, pic)
  if type(name) ~= "string" then errors.fail("vg.pictures.register: the name is a string") end
  if type(pic) ~= "table" or type(pic.prepare) ~= "function" or type(pic.draw) ~= "function" then
    errors.fail("vg.pictures.register('%s'): a picture is { keys = {...}, prepare = function(run, show), draw = function(run, state) }", name)
  end
  if not pictures.registered[name] then pictures.order[#pictures.order + 1] = name end
  pictures.registered[name] = pic
end

for _, name in ipairs{ "reconstructions", "samples", "interpolation", "latent", "curves" } do
  pictures.register(name, require("vaegraph.pictures." .. name))
end

-- Made on request: vg.pictures.anomaly{...} (pictures/anomaly.lua).
pictures.anomaly = require "vaegraph.pictures.anomaly"

-- The pictures of a run, each prepared: a list of { name, pic, state }.
function pictures.prepare(run, show, overrides)
  local chosen, names = {}, {}
  for _, name in ipairs(pictures.order) do chosen[name] = pictures.registered[name] end
  for name, pic in pairs(overrides or {}) do
    if pic == false then chosen[name] = nil
    else
      if type(pic) ~= "table" or type(pic.prepare) ~= "function" or type(pic.draw) ~= "function" then
        errors.fail("vg.train pictures: '%s' must be a picture { keys, prepare, draw } or false", tostring(name))
      end
      if not pictures.registered[name] then names[#names + 1] = name end
      chosen[name] = pic
    end
  end
  local keys = {}
  for _, pic in pairs(chosen) do for _, k in ipairs(pic.keys or {}) do keys[k] = true end end
  errors.check_keys("vg.train show", show, keys)
  local list = {}
  local order = {}
  for _, name in ipairs(pictures.order) do order[#order + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do order[#order + 1] = name end
  for _, name in ipairs(order) do
    local pic = chosen[name]
    local state = pic and pic.prepare(run, show or {})
    if state ~= nil then list[#list + 1] = { name = name, pic = pic, state = state } end
  end
  return list
end

function pictures.draw(run, list)
  for _, p in ipairs(list) do p.pic.draw(run, p.state) end
end

-- The helpers pictures share (geometry, grid, fill_test, keys), for a
-- script's own pictures too.
for k, v in pairs(require "vaegraph.pictures.common") do pictures[k] = v end

return pictures
