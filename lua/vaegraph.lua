-- vaegraph: declare a model as a graph of nodes; the C runtime compiles and
-- runs it. This file gathers the library's parts into one table, `vg`:
--   graph.lua     graphs, nodes, and vg.<op> for every op in ops/ops.def
--   layers.lua    layers whose parameters are shared by every call
--   cli.lua       options; data/*.lua data sources; train.lua the trainer;
--   pictures.lua  the pictures a run draws; stats.lua metrics over scores
local core = require "vaegraph.core"
-- Errors name the user's script line: frames in this library's files
-- (this one and vaegraph/*.lua) are skipped when looking for it.
core.set_library(debug.getinfo(1, "S").source)

local errors = require "vaegraph.errors"
local graph = require "vaegraph.graph"
local layers = require "vaegraph.layers"
local cli = require "vaegraph.cli"

-- opts: the options of the run (vg.options sets them).
local vg = { core = core, op = {}, opts = false }

--- Graphs, ops, layers ----------------------------------------------------

function vg.graph(opts)
  local g = graph.new(opts, vg.opts and vg.opts.seed)
  g.eval_mean = vg.opts and vg.opts.eval_mean
  return g
end

for name, f in pairs(layers) do vg[name] = f end
for name, f in pairs(require "vaegraph.densities") do vg[name] = f end
-- One function per op, from the one list of ops; an op a layer wraps (linear,
-- conv2d, lstm, ...) or the graph makes (prior) stays at vg.op.<name>.
for _, op in ipairs(graph.ops()) do
  vg.op[op.name] = graph.op_function(op.name)
  if rawget(vg, op.name) == nil and graph.Graph[op.name] == nil then vg[op.name] = vg.op[op.name] end
end

--- Options, optimizers, schedules ------------------------------------------

vg.schedule = require "vaegraph.schedule"

-- vg.options{ epochs = 10, batch = 128, latent = 20 }: the script's defaults
-- (for its own options and the program's flags), overridden from the command
-- line. `--help` prints them and exits. Returns the options, and a set of
-- the names given on the command line (so a script can tell a default from
-- a choice).
function vg.options(defaults)
  local ok, opts, given = pcall(cli.parse, arg, defaults)
  if not ok then error((arg and arg[0] or "vaegraph") .. ": " .. tostring(opts), 0) end
  if opts.resume and opts.init then errors.fail("--init and --resume both set the parameters: give one") end
  if opts.resume then
    -- Every random draw is keyed by the seed: a resumed run must use the
    -- checkpoint's, and the graph is built with it, so read it now.
    local m = core.checkpoint_meta(opts.resume, { "seed" })
    local seed = tonumber(m.seed)
    if not seed then errors.fail("%s: no seed in the checkpoint's metadata", opts.resume) end
    if given.seed and opts.seed ~= seed then
      errors.fail("%s: --seed %d, but the checkpoint was trained with seed %d", opts.resume, opts.seed, seed)
    end
    opts.seed = seed
  end
  if opts.eval_only and not (opts.resume or opts.init) then
    errors.fail("--eval-only evaluates given parameters: name them with --resume CKPT or --init FILE")
  end
  if opts.help then
    print(cli.help(arg and arg[0], defaults))
    os.exit(0)
  end
  if opts.threads then core.threads(opts.threads) end
  vg.opts = opts
  require("vaegraph.data.images").compress_override = opts.compress
  return opts, given
end

-- Optimizers as values a phase names: vg.adam{ lr = 1e-3 }.
local OPTIM_KEYS = { "lr", "momentum", "nesterov", "beta1", "beta2", "alpha", "eps", "weight_decay" }
for _, kind in ipairs{ "sgd", "adam", "adamw", "rmsprop" } do
  vg[kind] = function(conf)
    conf = conf or {}
    errors.check_keys("vg." .. kind, conf, OPTIM_KEYS)
    for k, v in pairs(conf) do
      if type(v) ~= "number" and type(v) ~= "boolean" then
        errors.fail("vg.%s: option '%s' must be a number, got %s", kind, k, type(v))
      end
      if type(v) == "boolean" then conf[k] = v and 1 or 0 end
    end
    return { kind = kind, conf = conf }
  end
end

--- Data sources (the interface: data/images.lua) -------------------------

local mnist = require "vaegraph.data.mnist"
vg.FASHION_MNIST = mnist.FASHION_MNIST

-- The run's seed chooses labelled subsets unless a source is given one.
local function with_seed(o)
  o = o or {}
  if type(o) == "table" and o.seed == nil and o.labelled ~= nil then
    local copy = {}
    for k, v in pairs(o) do copy[k] = v end
    copy.seed = vg.opts and vg.opts.seed or 1
    return copy
  end
  return o
end

-- vg.mnist{ dir, classes, labelled, limit, compress } -> MNIST-format files
function vg.mnist(o) return mnist.load(with_seed(o)) end
-- vg.image_folder{ dir, size, channels, classes, labelled, limit, compress } -> PNGs
function vg.image_folder(o) return require("vaegraph.data.image_folder").load(with_seed(o)) end
-- vg.images{ dir = ... }: MNIST-format files when the folder has them, else a
-- folder of PNG images; dir defaults to --data, then Fashion-MNIST.
function vg.images(o)
  o = o or {}
  if type(o) ~= "table" then errors.fail("vg.images: options must be a table") end
  local dir = o.dir or (vg.opts and vg.opts.data) or mnist.FASHION_MNIST
  local copy = { dir = dir }
  for k, v in pairs(o) do copy[k] = v end
  if mnist.has_files(dir) or dir == mnist.FASHION_MNIST then return vg.mnist(copy) end
  return vg.image_folder(copy)
end
-- vg.text{ dir, lower, min_count, max_len, cache } -> sentences
function vg.text(o) return require("vaegraph.data.text").load(o) end
function vg.csv(o) return require("vaegraph.data.csv").load(o) end
function vg.ratings(o) return require("vaegraph.data.ratings").load(o) end

--- Training, pictures, metrics --------------------------------------------

vg.pictures = require "vaegraph.pictures"
vg.stats = require "vaegraph.stats"
-- The classifier that judges samples (--quality): judge.lua.
vg.judge = require "vaegraph.judge"

function vg.train(spec) return require("vaegraph.train").run(vg, spec) end

-- The number of single-letter edits from a to b (Levenshtein).
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a:sub(i, i) == b:sub(j, j) and 0 or 1))
    end
    prev = cur
  end
  return prev[#b]
end

-- A misspelt name (vg.reparm) is an error at the script's line that guesses
-- the name meant, not "attempt to call a nil value" later.
setmetatable(vg, { __index = function(t, key)
  if type(key) ~= "string" then return nil end
  local best, best_d
  for name in pairs(t) do
    local d = type(name) == "string" and distance(key, name)
    if d and d <= math.max(2, math.floor(#key / 3)) and (not best_d or d < best_d) then best, best_d = name, d end
  end
  errors.fail("vg.%s does not exist%s", key, best and string.format(" (did you mean vg.%s?)", best) or "")
end })

-- vg.gradcheck{ loss = node, wrt = {nodes}, eps = 1e-2 } -> the largest
-- relative error between the plan's gradient (p:grad) and central
-- differences of the loss, over every element of every node in wrt (inputs
-- or parameters; p:grad reads op nodes too), and where it was. For checking a new loss written in Lua;
-- in float, expect errors near 1e-3 for smooth functions.
function vg.gradcheck(o)
  errors.check_keys("vg.gradcheck", o, { "loss", "wrt", "eps", "step" })
  local g = graph.node_of(o.loss, "gradcheck loss").graph
  for _, n in ipairs(o.wrt or {}) do
    local kind = g.core:kind(graph.node_of(n, "gradcheck wrt").id)
    if kind ~= "input" and kind ~= "param" then
      errors.fail("vg.gradcheck: '%s' is a %s node; finite differences move inputs and parameters (p:grad reads any node)", n:name(), kind)
    end
  end
  local plan = g:compile{ name = "gradcheck", loss = o.loss, wrt = o.wrt }
  local step, eps = o.step or 1, o.eps or 1e-2
  plan:run(step)
  local worst, where = 0, nil
  for _, n in ipairs(o.wrt) do
    local analytic = plan:grad(n.id)
    if type(analytic) == "number" then analytic = { analytic } end
    local values = g.core:data(n.id)
    for i = 1, #values do
      local keep = values[i]
      values[i] = keep + eps
      g.core:data(n.id, values)
      plan:run(step)
      local up = plan:value(o.loss.id)
      values[i] = keep - eps
      g.core:data(n.id, values)
      plan:run(step)
      local down = plan:value(o.loss.id)
      values[i] = keep
      g.core:data(n.id, values)
      local numeric = (up - down) / (2 * eps)
      local err = math.abs(numeric - analytic[i]) / math.max(1, math.abs(numeric), math.abs(analytic[i]))
      if err > worst then worst, where = err, string.format("%s[%d]: analytic %g, numeric %g", n:name(), i, analytic[i], numeric) end
    end
  end
  return worst, where
end

return vg
