-- vaegraph: declare a model as a graph of nodes; the C runtime compiles and
-- runs it. Nodes are objects with + - * and methods; layers are callable
-- objects whose parameters are shared each time they are called.
local core = require "vaegraph.core"
-- Errors name the user's script line: frames in this library's files
-- (this one and vaegraph/*.lua) are skipped when looking for it.
core.set_library(debug.getinfo(1, "S").source)

local vg = { core = core }

local Node = {}
Node.__index = Node

local Graph = {}
Graph.__index = Graph

local function wrap(graph, id)
  return setmetatable({ graph = graph, id = id }, Node)
end

local function is_node(v) return getmetatable(v) == Node end

-- An options table may hold only the keys listed: a misspelt one is an
-- error at the caller's line that names the valid ones.
local function check_keys(what, opts, valid)
  for k in pairs(opts or {}) do
    local known = false
    for _, v in ipairs(valid) do known = known or k == v end
    if not known then
      error(string.format("%s: unknown option '%s' (valid: %s)", what, tostring(k), table.concat(valid, ", ")), 3)
    end
  end
end

local function node_of(v, what)
  if not is_node(v) then
    error((what or "argument") .. " must be a node, got " .. type(v), 3)
  end
  return v
end

--- Graphs -----------------------------------------------------------------

-- vg.graph{ batch = 128, seed = 1 }: inputs get the batch as first dimension.
function vg.graph(opts)
  opts = opts or {}
  check_keys("vg.graph", opts, { "batch", "seed" })
  local batch = opts.batch or 128
  if type(batch) ~= "number" or batch < 1 or batch % 1 ~= 0 then error("vg.graph: batch must be a positive integer", 2) end
  -- The seed keys initialisation, data order and every random draw.
  local seed = opts.seed or (vg.opts and vg.opts.seed) or 1
  return setmetatable({ core = core.graph(seed), seed = seed, batch = batch, groups = {}, state_groups = {} }, Graph)
end

-- g:input(name, {784}) -> node of shape [batch, 784]
function Graph:input(name, shape)
  local full = { self.batch }
  for i, d in ipairs(shape or {}) do full[i + 1] = d end
  return wrap(self, self.core:input(name, full))
end

-- g:group(name) -> a parameter group: what a phase updates.
-- g:scalar(name) -> an input of shape [] (a loss weight set each step).
function Graph:scalar(name)
  return wrap(self, self.core:input(name, {}))
end

-- g:set_shape(input, {batch, d1, ...}): the input's shape from now on, at
-- most the declared one in each dimension; every node follows at the next run.
function Graph:set_shape(node, shape)
  self.core:set_shape(node_of(node, "set_shape input").id, shape)
end

function Graph:group(name)
  local gr = setmetatable({ graph = self, name = name, id = self.core:group(name) }, {
    __tostring = function(t) return "group " .. t.name end })
  self.groups[#self.groups + 1] = gr
  return gr
end

function Graph:op(opname, inputs, attrs, name)
  local ids = {}
  for i, v in ipairs(inputs) do
    ids[i] = node_of(v, opname .. " input " .. i).id
    if v.graph ~= self then error(string.format("%s input %d belongs to another graph", opname, i), 3) end
  end
  return wrap(self, self.core:op(opname, name, ids, attrs))
end

function Graph:compile(spec)
  local update = {}
  for i, gr in ipairs(spec.update or {}) do update[i] = gr.id end
  local fetch = {}
  for i, n in ipairs(spec.fetch or {}) do fetch[i] = node_of(n, "fetch").id end
  return self.core:compile{ name = spec.name, loss = spec.loss and node_of(spec.loss, "loss").id,
                            update = update, fetch = fetch }
end

--- Nodes ------------------------------------------------------------------

function Node:shape() return self.graph.core:shape(self.id) end
function Node:name() return self.graph.core:name(self.id) end
function Node:__tostring()
  return string.format("node '%s' [%s]", self:name(), table.concat(self:shape(), ","))
end

-- Binary arithmetic: nodes of one shape, or a node and a scalar node (a
-- loss weight); a node times a number is a scale.
local function arith(opname, a, b)
  if opname == "mul" and type(a) == "number" and is_node(b) then a, b = b, a end
  if opname == "mul" and is_node(a) and type(b) == "number" then
    return a.graph:op("scale", { a }, { factor = b })
  end
  node_of(a, opname .. " left side")
  node_of(b, opname .. " right side")
  return a.graph:op(opname, { a, b })
end

Node.__add = function(a, b) return arith("add", a, b) end
Node.__sub = function(a, b) return arith("sub", a, b) end
Node.__mul = function(a, b) return arith("mul", a, b) end
Node.__unm = function(a) return a.graph:op("scale", { a }, { factor = -1 }) end

function Node:scale(f) return self.graph:op("scale", { self }, { factor = f }) end

--- Ops as functions -------------------------------------------------------

-- Every op is vg.<name>(inputs..., {attrs}) -> node; the list of valid
-- attributes of each op is in the C record and errors name them.
local function op_function(opname)
  return function(...)
    local args, attrs = { ... }, nil
    if type(args[#args]) == "table" and not is_node(args[#args]) then attrs = table.remove(args) end
    local first = node_of(args[1], opname .. " input 1")
    local name = attrs and attrs.name
    if name then -- the node's name travels beside the op's attributes
      local rest = {}
      for k, v in pairs(attrs) do if k ~= "name" then rest[k] = v end end
      attrs = rest
    end
    return first.graph:op(opname, args, attrs, name)
  end
end

for _, name in ipairs{ "add", "sub", "mul", "scale", "concat", "slice", "reshape", "flatten", "stop_gradient",
                       "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "exp", "log", "sum", "mean",
                       "reparam", "gaussian_noise", "kl_normal", "bce", "bce_logits", "mse",
                       "maxpool2d", "avgpool2d", "upsample", "dropout", "clamp", "binary_accuracy",
                       "embedding", "word_dropout", "softmax", "log_softmax", "cross_entropy", "pack" } do
  vg[name] = op_function(name)
end

--- Layers -----------------------------------------------------------------

-- vg.mlp(group, {784, 400, 20}, out_activation) -> callable: linear layers
-- named <group>.fc1, .fc2, ... with ReLU between them (opts.act to change).
function vg.mlp(group, sizes, out_act, opts)
  opts = opts or {}
  check_keys("vg.mlp", opts, { "act", "prefix" })
  local act = opts.act or vg.relu
  local layers = {}
  for i = 1, #sizes - 1 do
    layers[i] = vg.linear(group, (opts.prefix or group.name) .. ".fc" .. i, sizes[i], sizes[i + 1])
  end
  return function(x)
    for i, layer in ipairs(layers) do
      x = layer(x)
      if i < #layers then x = act(x) elseif out_act then x = out_act(x) end
    end
    return x
  end
end

-- A layer object: parameters made once, shared by every call; each call
-- names its node after the layer ("name", then "name#2", ...).
local function layer(g, name, params, build)
  local calls = 0
  params.name = name
  return setmetatable(params, {
    __call = function(self, x)
      node_of(x, name .. " input")
      calls = calls + 1
      return build(self, x, calls == 1 and name or (name .. "#" .. calls))
    end,
  })
end

-- PyTorch's default initialisation of a layer's weight and bias: kaiming
-- uniform with a = sqrt 5 on the weight, U(+-1/sqrt fan_in) on the bias,
-- fan_in = weight.shape[1] * kernel area.
local function torch_params(group, name, wshape, bias_len, opts)
  local g = group.graph
  local fan_in = wshape[2]
  for i = 3, #wshape do fan_in = fan_in * wshape[i] end
  local w = wrap(g, g.core:param(group.id, name .. ".weight", wshape, "kaiming_uniform", math.sqrt(5)))
  local b
  if not opts or opts.bias ~= false then
    local bound = 1 / math.sqrt(fan_in)
    b = wrap(g, g.core:param(group.id, name .. ".bias", { bias_len }, "uniform", -bound, bound))
  end
  return { weight = w, bias = b }
end

-- vg.linear(group, name, in, out [, {bias = false}]) -> layer; layer(x) maps
-- [..., in] to [..., out]. Weight [out, in] as PyTorch's nn.Linear.
function vg.linear(group, name, fan_in, fan_out, opts)
  check_keys("vg.linear", opts, { "bias" })
  return layer(group.graph, name, torch_params(group, name, { fan_out, fan_in }, fan_out, opts), function(l, x, nm)
    return x.graph:op("linear", { x, l.weight, l.bias }, nil, nm)
  end)
end

-- vg.conv2d(group, name, cin, cout, k, {stride = 1, padding = 0 | "same", bias = true, act = "none"})
-- x [B, cin, H, W] -> [B, cout, Ho, Wo]. act ("relu", "sigmoid", "tanh") is
-- applied inside the convolution, as Keras's activation argument: the same
-- values as vg.relu(conv(x)) without a separate pass over memory.
function vg.conv2d(group, name, cin, cout, k, opts)
  opts = opts or {}
  check_keys("vg.conv2d", opts, { "stride", "padding", "bias", "act" })
  local attrs = { stride = opts.stride or 1, act = opts.act }
  if opts.padding == "same" then attrs.same = 1 else attrs.padding = opts.padding or 0 end
  return layer(group.graph, name, torch_params(group, name, { cout, cin, k, k }, cout, opts), function(l, x, nm)
    return x.graph:op("conv2d", { x, l.weight, l.bias }, attrs, nm)
  end)
end

-- vg.conv_transpose2d(group, name, cin, cout, k, {stride, padding, output_padding, bias, act})
-- x [B, cin, H, W] -> [B, cout, (H-1) stride - 2 padding + k + output_padding, ...]
function vg.conv_transpose2d(group, name, cin, cout, k, opts)
  opts = opts or {}
  check_keys("vg.conv_transpose2d", opts, { "stride", "padding", "output_padding", "bias", "act" })
  local attrs = { stride = opts.stride or 1, padding = opts.padding or 0, output_padding = opts.output_padding or 0,
                  act = opts.act }
  return layer(group.graph, name, torch_params(group, name, { cin, cout, k, k }, cout, opts), function(l, x, nm)
    return x.graph:op("conv_transpose2d", { x, l.weight, l.bias }, attrs, nm)
  end)
end

-- vg.batch_norm(group, name, channels, {momentum = 0.1, eps = 1e-5}): gamma and
-- beta in `group`; the running statistics in the group "<group>.state",
-- which no phase updates (the op itself does, in training mode) and which
-- checkpoints save like any parameter.
function vg.batch_norm(group, name, c, opts)
  opts = opts or {}
  check_keys("vg.batch_norm", opts, { "momentum", "eps" })
  local g = group.graph
  local state = g.state_groups[group]
  if not state then
    state = g:group(group.name .. ".state")
    g.state_groups[group] = state
  end
  local p = {
    gamma = wrap(g, g.core:param(group.id, name .. ".weight", { c }, "const", 1)),
    beta = wrap(g, g.core:param(group.id, name .. ".bias", { c }, "zeros")),
    mean = wrap(g, g.core:param(state.id, name .. ".running_mean", { c }, "zeros")),
    var = wrap(g, g.core:param(state.id, name .. ".running_var", { c }, "const", 1)),
  }
  local attrs = { momentum = opts.momentum or 0.1, eps = opts.eps or 1e-5 }
  return layer(g, name, p, function(l, x, nm)
    return x.graph:op("batch_norm", { x, l.gamma, l.beta, l.mean, l.var }, attrs, nm)
  end)
end

--- Sequence layers --------------------------------------------------------

-- vg.embedding(group, name, vocab, dim) -> layer; layer(ids) maps ids [...]
-- to [..., dim]. Weight [vocab, dim], N(0, 1) as PyTorch's nn.Embedding.
function vg.embedding(group, name, vocab, dim)
  local g = group.graph
  local p = { weight = wrap(g, g.core:param(group.id, name .. ".weight", { vocab, dim }, "normal", 0, 1)) }
  return layer(g, name, p, function(l, ids, nm)
    return ids.graph:op("embedding", { ids, l.weight }, nil, nm)
  end)
end

-- vg.lstm / vg.gru(group, name, in, hidden) -> layer;
-- layer(x [B,T,in], lengths [B] [, {h0 =, c0 =, output = "sequence" | "last" | "state"}])
-- runs each sentence for its length. PyTorch's parameters (weight_ih,
-- weight_hh, bias_ih, bias_hh), all U(+-1/sqrt hidden) as nn.LSTM / nn.GRU.
local function recurrent(opname, gates)
  return function(group, name, fan_in, hidden)
    local g = group.graph
    local bound = 1 / math.sqrt(hidden)
    local function p(suffix, shape) return wrap(g, g.core:param(group.id, name .. suffix, shape, "uniform", -bound, bound)) end
    local l = { weight_ih = p(".weight_ih", { gates * hidden, fan_in }), weight_hh = p(".weight_hh", { gates * hidden, hidden }),
                bias_ih = p(".bias_ih", { gates * hidden }), bias_hh = p(".bias_hh", { gates * hidden }), hidden = hidden }
    local calls = 0
    return setmetatable(l, { __call = function(self, x, lengths, opts)
      opts = opts or {}
      check_keys(name, opts, { "h0", "c0", "output" })
      node_of(x, name .. " input")
      node_of(lengths, name .. " lengths")
      calls = calls + 1
      local ins = { x, lengths, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, opts.h0, opts.c0 }
      if opts.c0 and not opts.h0 then error(name .. ": c0 needs h0", 2) end
      if opts.c0 and gates ~= 4 then error(name .. ": a GRU has no cell state c0", 2) end
      return g:op(opname, ins, { output = opts.output }, calls == 1 and name or (name .. "#" .. calls))
    end })
  end
end
vg.lstm = recurrent("lstm", 4)
vg.gru = recurrent("gru", 3)

--- Adversarial pieces ---------------------------------------------------

-- g:prior(latent, {kind = "gaussian", name = ...}) -> [batch, latent] samples
-- from the prior, new every step (keyed by seed, step and name like every
-- random node). kind "mixture" (2-D): 10 gaussians around a circle; its
-- options components, radius, radial_sd, tangent_sd; the gaussian's sd.
function Graph:prior(latent, opts)
  local attrs, name = { dims = { self.batch, latent } }, nil
  for k, v in pairs(opts or {}) do
    if k == "name" then name = v else attrs[k] = v end
  end
  return self:op("prior", {}, attrs, name)
end

-- vg.discriminator(group, {150, 500, 500, 1} [, {act = vg.relu}]) -> callable:
-- an MLP ending in one logit (no sigmoid: the adversarial loss takes
-- logits). Calling it on real and on fake codes shares its weights.
function vg.discriminator(group, sizes, opts)
  if sizes[#sizes] ~= 1 then
    error(string.format("vg.discriminator: the last size must be 1 (one logit), got %s", tostring(sizes[#sizes])), 2)
  end
  return vg.mlp(group, sizes, nil, opts)
end

-- vg.adversarial_loss(logits, real [, {name = ...}]): binary cross-entropy of
-- a discriminator's logits against 1 (real = true) or 0, averaged.
function vg.adversarial_loss(logits, real, opts)
  return vg.bce_logits(logits, { target = real and 1 or 0, reduction = "mean", name = opts and opts.name })
end

-- Peak signal-to-noise ratio in dB of images a against b (values in [0, 1]),
-- averaged over the batch: mean over images of -10 log10(mse of the image).
function vg.psnr(a, b, opts)
  local shape = a:shape()
  local per_image = vg.mean(vg.reshape(vg.mse(a, b, { reduction = "none" }), { dims = { shape[1], -1 } }), { axis = 1 })
  return vg.mean(vg.log(per_image) * (-10 / math.log(10)), opts)
end

--- Options, optimizers, data, schedules, training -------------------------

local cli = require "vaegraph.cli"
vg.schedule = require "vaegraph.schedule"

-- vg.options{ epochs = 10, batch = 128, latent = 20 }: the script's defaults
-- (for its own options and the program's flags), overridden from the command
-- line. `--help` prints them and exits.
function vg.options(defaults)
  local ok, opts, given = pcall(cli.parse, arg, defaults)
  if not ok then error((arg and arg[0] or "vaegraph") .. ": " .. tostring(opts), 0) end
  if opts.resume then
    -- Every random draw is keyed by the seed: a resumed run must use the
    -- checkpoint's, and the graph is built with it, so read it now.
    local m = core.checkpoint_meta(opts.resume, { "seed" })
    local seed = tonumber(m.seed)
    if not seed then error(opts.resume .. ": no seed in the checkpoint's metadata", 0) end
    if given.seed and opts.seed ~= seed then
      error(string.format("%s: --seed %d, but the checkpoint was trained with seed %d", opts.resume, opts.seed, seed), 0)
    end
    opts.seed = seed
  end
  if opts.help then
    print(cli.help(arg and arg[0], defaults))
    os.exit(0)
  end
  if opts.threads then core.threads(opts.threads) end
  vg.opts = opts
  return opts
end

-- Optimizers as values a phase names: vg.adam{ lr = 1e-3 }.
local OPTIM_KEYS = { lr = true, momentum = true, nesterov = true, beta1 = true, beta2 = true, alpha = true,
                     eps = true, weight_decay = true }
for _, kind in ipairs{ "sgd", "adam", "adamw", "rmsprop" } do
  vg[kind] = function(conf)
    conf = conf or {}
    for k, v in pairs(conf) do
      if not OPTIM_KEYS[k] then error(string.format("vg.%s: unknown option '%s'", kind, tostring(k)), 2) end
      if type(v) ~= "number" and type(v) ~= "boolean" then
        error(string.format("vg.%s: option '%s' must be a number, got %s", kind, k, type(v)), 2)
      end
      if type(v) == "boolean" then conf[k] = v and 1 or 0 end
    end
    return { kind = kind, conf = conf }
  end
end

vg.FASHION_MNIST = "/usr/share/datasets/fashion-mnist"

local exists = require("vaegraph.files").exists

local function idx_file(dir, stem)
  for _, name in ipairs{ stem, stem .. ".gz" } do
    if exists(dir .. "/" .. name) then return dir .. "/" .. name end
  end
end

-- vg.mnist{ dir = ... } -> { train = dataset, test = dataset } from the
-- MNIST file names (raw or .gz). A folder with only the t10k files (as
-- ../shared/data/mnist) trains and tests on those, with a warning.
function vg.mnist(o)
  o = o or {}
  local dir = o.dir or vg.FASHION_MNIST
  local test_im, test_lb = idx_file(dir, "t10k-images-idx3-ubyte"), idx_file(dir, "t10k-labels-idx1-ubyte")
  local train_im, train_lb = idx_file(dir, "train-images-idx3-ubyte"), idx_file(dir, "train-labels-idx1-ubyte")
  if not test_im and not train_im then
    error(string.format("%s: no MNIST-format files (train-images-idx3-ubyte[.gz], t10k-images-idx3-ubyte[.gz])%s", dir,
      dir == vg.FASHION_MNIST and "; install the Debian package dataset-fashion-mnist (scripts/setup.sh does)" or ""), 2)
  end
  local test = test_im and core.dataset(test_im, test_lb)
  local train = train_im and core.dataset(train_im, train_lb)
  if not train or not test then
    io.stderr:write(string.format("warning: %s has only the %s set; training and testing on it\n", dir,
      train and "training" or "test"))
  end
  return { train = train or test, test = test or train }
end

-- vg.text{ dir = ..., lower = false, min_count = 1, max_len = 60 } ->
-- { train =, test =, vocab = } corpora of sentences (vaegraph.text).
function vg.text(o) return require("vaegraph.text").load(vg, o) end

function vg.train(spec) return require("vaegraph.train").run(vg, spec) end

return vg
