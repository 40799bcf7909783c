-- Log densities per example ([batch]: summed over everything but the batch),
-- the terms of an importance weight log p(x|z) + log p(z) - log q(z|x)
-- (vg.train's log_weight, --eval-ll) and of the IWAE bound. Built from ops,
-- so each has a gradient.
--   vg.log_normal(z, mu, logvar)     a diagonal Gaussian's log density at z
--   vg.log_standard_normal(z)        N(0, I)'s
--   vg.log_bernoulli(p, x)           of x under Bernoulli(p) (minus the BCE)
--   vg.log_gaussian(mean, x, var)    of x under N(mean, var I); var = 1/2
--                                    makes it minus the summed squared
--                                    error, less D/2 log pi
--   vg.log_categorical(y, logits)    of one-hot rows y (along the last axis)
--                                    under softmax(logits)
local graph = require "vaegraph.graph"
local layers = require "vaegraph.layers"
local M = {}

local exp, bce, log_softmax = graph.op_function("exp"), graph.op_function("bce"), graph.op_function("log_softmax")
local per_example = layers.per_example
local LOG_2PI = math.log(2 * math.pi)

local function named(node, opts)
  return opts and opts.name and graph.op_function("scale")(node, { factor = 1, name = opts.name }) or node
end

function M.log_normal(z, mu, logvar, opts)
  local d = z - mu
  return named(per_example((d * d * exp(logvar * -1) + logvar + LOG_2PI) * -0.5), opts)
end

function M.log_standard_normal(z, opts)
  return named(per_example((z * z + LOG_2PI) * -0.5), opts)
end

function M.log_bernoulli(p, x, opts)
  return named(per_example(bce(p, x, { reduction = "none" })) * -1, opts)
end

function M.log_gaussian(mean, x, var, opts)
  local d = x - mean
  return named(per_example(d * d * (-0.5 / var) - 0.5 * math.log(2 * math.pi * var)), opts)
end

function M.log_categorical(y, logits, opts)
  return named(per_example(y * log_softmax(logits, { axis = -1 })), opts)
end

return M
