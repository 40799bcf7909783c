-- Layers: callable objects whose parameters are made once, when the layer
-- is, and shared by every call (reusing a layer object shares its
-- weights, as in Torch). Each call returns a node.
local graph = require "vaegraph.graph"
local errors = require "vaegraph.errors"
local M = {}

local wrap, node_of, check_keys = graph.wrap, graph.node_of, errors.check_keys
local relu = graph.op_function("relu")
-- Activations a linear layer applies itself (ops/act.h), by the function a
-- script passes (vg.relu): the same values, one pass over memory fewer.
local FUSED = { [relu] = "relu", [graph.op_function("sigmoid")] = "sigmoid", [graph.op_function("tanh")] = "tanh" }

-- vg.mlp(group, {784, 400, 20}, out_activation) -> callable: linear layers
-- named <group>.fc1, .fc2, ... with ReLU between them (opts.act to change).
function M.mlp(group, sizes, out_act, opts)
  opts = opts or {}
  check_keys("vg.mlp", opts, { "act", "prefix" })
  local act = opts.act or relu
  local layers, after = {}, {}
  for i = 1, #sizes - 1 do
    local a = i < #sizes - 1 and act or out_act
    layers[i] = M.linear(group, (opts.prefix or group.name) .. ".fc" .. i, sizes[i], sizes[i + 1], { act = FUSED[a] })
    after[i] = not FUSED[a] and a or nil
  end
  return function(x)
    for i, layer in ipairs(layers) do
      x = layer(x)
      if after[i] then x = after[i](x) end
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

-- vg.linear(group, name, in, out [, {bias = false, act = "none"}]) -> layer;
-- layer(x) maps [..., in] to [..., out]. Weight [out, in] as PyTorch's
-- nn.Linear. act ("relu", "sigmoid", "tanh") is applied inside the op, as
-- conv2d's: the values of vg.relu(layer(x)) with one pass over memory fewer.
function M.linear(group, name, fan_in, fan_out, opts)
  check_keys("vg.linear", opts, { "bias", "act" })
  local attrs = opts and opts.act and { act = opts.act } or nil
  return layer(group.graph, name, torch_params(group, name, { fan_out, fan_in }, fan_out, opts), function(l, x, nm)
    return x.graph:op("linear", { x, l.weight, l.bias }, attrs, nm)
  end)
end

-- vg.conv2d(group, name, cin, cout, k, {stride = 1, padding = 0 | "same", bias = true, act = "none"})
-- x [B, cin, H, W] -> [B, cout, Ho, Wo]. act ("relu", "sigmoid", "tanh") is
-- applied inside the convolution, as Keras's activation argument: the same
-- values as vg.relu(conv(x)) without a separate pass over memory.
function M.conv2d(group, name, cin, cout, k, opts)
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
function M.conv_transpose2d(group, name, cin, cout, k, opts)
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
function M.batch_norm(group, name, c, opts)
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
function M.embedding(group, name, vocab, dim)
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
      if opts.c0 and not opts.h0 then errors.fail("%s: c0 needs h0", name) end
      if opts.c0 and gates ~= 4 then errors.fail("%s: a GRU has no cell state c0", name) end
      return g:op(opname, ins, { output = opts.output }, calls == 1 and name or (name .. "#" .. calls))
    end })
  end
end
M.lstm = recurrent("lstm", 4)
M.gru = recurrent("gru", 3)

--- Adversarial pieces ---------------------------------------------------

-- vg.discriminator(group, {150, 500, 500, 1} [, {act = vg.relu}]) -> callable:
-- an MLP ending in one logit (no sigmoid: the adversarial loss takes
-- logits). Calling it on real and on fake codes shares its weights.
function M.discriminator(group, sizes, opts)
  if sizes[#sizes] ~= 1 then
    errors.fail("vg.discriminator: the last size must be 1 (one logit), got %s", tostring(sizes[#sizes]))
  end
  return M.mlp(group, sizes, nil, opts)
end

-- vg.adversarial_loss(logits, real [, {name = ...}]): binary cross-entropy of
-- a discriminator's logits against 1 (real = true) or 0, averaged.
local bce_logits, mean, mse, log, flatten, sum =
  graph.op_function("bce_logits"), graph.op_function("mean"), graph.op_function("mse"), graph.op_function("log"),
  graph.op_function("flatten"), graph.op_function("sum")
function M.adversarial_loss(logits, real, opts)
  check_keys("vg.adversarial_loss", opts, { "name" })
  return bce_logits(logits, { target = real and 1 or 0, reduction = "mean", name = opts and opts.name })
end

-- vg.per_example(x [, {name}]): x [batch, ...] summed over everything but
-- the batch -> [batch]: a loss per example from reduction = "none" (a score
-- for test_scores.csv).
function M.per_example(x, opts)
  check_keys("vg.per_example", opts, { "name" })
  node_of(x, "vg.per_example input")
  if #x:shape() == 1 then return x end
  return sum(flatten(x), { axis = 1, name = opts and opts.name })
end

-- vg.vector_quantize(z, codebook [, {axis = -1, reduction = "mean", name}])
-- -> { quantized, codes, codebook_loss, commitment_loss, perplexity }: the
-- vector quantiser of a VQ-VAE (van den Oord et al. 2017). Each vector of z
-- along `axis` (axis 1 for a convolution's [B, C, H, W]) is replaced by its
-- nearest row of codebook [K, C]; `quantized` has z's shape and passes its
-- gradient straight through to z; `codes` are the indices (z's shape
-- without axis). codebook_loss = ||e - sg(z)||^2 moves the codes, and
-- commitment_loss = ||z - sg(e)||^2 (weighted by beta, 0.25, in the loss)
-- keeps the encoder near them, both reduced by `reduction`; perplexity is
-- exp(entropy) of the batch's code usage (K when every code is used alike).
local permute, nearest_code, embedding, stop_gradient, one_hot, exp, mul =
  graph.op_function("permute"), graph.op_function("nearest_code"), graph.op_function("embedding"),
  graph.op_function("stop_gradient"), graph.op_function("one_hot"), graph.op_function("exp"), graph.op_function("mul")
function M.vector_quantize(z, codebook, opts)
  check_keys("vg.vector_quantize", opts, { "axis", "reduction", "name" })
  opts = opts or {}
  node_of(z, "vg.vector_quantize z")
  node_of(codebook, "vg.vector_quantize codebook")
  local nd, K = #z:shape(), codebook:shape()[1]
  local axis = opts.axis or -1
  if axis < 0 then axis = axis + nd end
  if axis < 0 or axis >= nd then errors.fail("vg.vector_quantize: axis %d is outside z's %d dimensions", opts.axis, nd) end
  -- The vectors' axis last, for nearest_code and embedding, and back.
  local to_last, back = {}, {}
  for d = 0, nd - 1 do if d ~= axis then to_last[#to_last + 1] = d end end
  to_last[#to_last + 1] = axis
  for i, d in ipairs(to_last) do back[d + 1] = i - 1 end
  local moved = axis ~= nd - 1
  local zl = moved and permute(z, { dims = to_last }) or z
  local codes = nearest_code(zl, codebook, { name = opts.name and (opts.name .. ".codes") })
  local e = embedding(codes, codebook)
  if moved then e = permute(e, { dims = back }) end
  local red = opts.reduction or "mean"
  local all_but_last = {}
  for d = 0, #codes:shape() - 1 do all_but_last[#all_but_last + 1] = d end
  local usage = mean(one_hot(codes, { classes = K }), { axes = all_but_last })
  return {
    quantized = z + stop_gradient(e - z),
    codes = codes,
    codebook_loss = mse(e, stop_gradient(z), { reduction = red }),
    commitment_loss = mse(z, stop_gradient(e), { reduction = red }),
    perplexity = exp(-sum(mul(usage, log(usage + 1e-10)))),
  }
end

-- Peak signal-to-noise ratio in dB of images a against b (values in [0, 1]),
-- averaged over the batch: mean over images of -10 log10(mse of the image).
function M.psnr(a, b, opts)
  local per_image = mean(flatten(mse(a, b, { reduction = "none" })), { axis = 1 })
  return mean(log(per_image) * (-10 / math.log(10)), opts)
end

return M
