-- Graphs and nodes as Lua objects, and one function per op. Nodes support
-- + - * and methods; every op of ops/ops.def becomes vg.op.<name>, and
-- vg.<name> too unless a layer of that name wraps it (vg.linear makes the
-- weights a linear op needs).
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local M = {}

local Node = {}
Node.__index = Node
local Graph = {}
Graph.__index = Graph
M.Node, M.Graph = Node, Graph

function M.wrap(graph, id) return setmetatable({ graph = graph, id = id }, Node) end
function M.is_node(v) return getmetatable(v) == Node end
local wrap, is_node = M.wrap, M.is_node

function M.node_of(v, what)
  if not is_node(v) then errors.fail("%s must be a node, got %s", what or "argument", type(v)) end
  return v
end
local node_of = M.node_of

--- Graphs -----------------------------------------------------------------

-- vg.graph{ batch = 128, seed = 1 }: inputs get the batch as first dimension.
function M.new(opts, default_seed)
  opts = opts or {}
  errors.check_keys("vg.graph", opts, { "batch", "seed" })
  local batch = opts.batch or 128
  if type(batch) ~= "number" or batch < 1 or batch % 1 ~= 0 then errors.fail("vg.graph: batch must be a positive integer") end
  -- The seed keys initialisation, data order and every random draw.
  local seed = opts.seed or default_seed or 1
  return setmetatable({ core = core.graph(seed), seed = seed, batch = batch, groups = {}, state_groups = {} }, Graph)
end

-- g:input(name, {784}) -> node of shape [batch, 784]
function Graph:input(name, shape)
  if type(shape) ~= "table" then errors.fail("g:input('%s', shape): the shape is a list of sizes, got %s", tostring(name), type(shape)) end
  local full = { self.batch }
  for i, d in ipairs(shape) do full[i + 1] = d end
  local node = wrap(self, self.core:input(name, full))
  self.first_input = self.first_input or node
  return node
end

-- g:scalar(name) -> an input of shape [] (a loss weight set each step).
function Graph:scalar(name)
  return wrap(self, self.core:input(name, {}))
end

-- g:set_shape(input, {batch, d1, ...}): the input's shape from now on, at
-- most the declared one in each dimension; every node follows at the next run.
function Graph:set_shape(node, shape)
  self.core:set_shape(node_of(node, "set_shape input").id, shape)
end

-- g:group(name) -> a parameter group: what a phase updates.
function Graph:group(name)
  local gr = setmetatable({ graph = self, name = name, id = self.core:group(name) }, {
    __tostring = function(t) return "group " .. t.name end })
  self.groups[#self.groups + 1] = gr
  return gr
end

-- g:param(group, name, shape, init, a, b) -> a parameter node of exactly
-- `shape` (no batch dimension), initialised by `init` ("zeros", "const" a,
-- "uniform" a b, "normal" mean sd, "kaiming_uniform", ...).
function Graph:param(group, name, shape, init, a, b)
  if type(group) ~= "table" or not group.id then errors.fail("g:param: the first argument is a group (g:group(name))") end
  return wrap(self, self.core:param(group.id, name, shape, init or "zeros", a, b))
end

local EVAL_FIXED = { reparam = "mean", gumbel_softmax = "mode" }

function Graph:op(opname, inputs, attrs, name)
  -- --eval-mean: every reparam evaluates at its mean (z = mu), and every
  -- Gumbel-softmax at its mode (the one-hot of the largest logit), unless
  -- the script chose, so test metrics are deterministic (compared with
  -- another framework's, say).
  local fixed = EVAL_FIXED[opname]
  if fixed and self.eval_mean and not (attrs and attrs.eval) then
    local a = { eval = fixed }
    for k, v in pairs(attrs or {}) do a[k] = v end
    attrs = a
  end
  local ids = {}
  for i, v in ipairs(inputs) do
    ids[i] = node_of(v, opname .. " input " .. i).id
    if v.graph ~= self then errors.fail("%s input %d belongs to another graph", opname, i) end
  end
  return wrap(self, self.core:op(opname, name, ids, attrs))
end

local function ids_of(list, what)
  local ids = {}
  for i, n in ipairs(list or {}) do ids[i] = node_of(n, what).id end
  return ids
end

-- g:compile{ name, loss, update = {groups}, fetch = {nodes}, wrt = {nodes},
-- after = plan, optim = optimizer }: `after`, the plan that runs just before
-- this one in each step, whose forward values this plan then reuses where
-- nothing it updates feeds them (the AAE's encoder between its last two
-- phases); `optim`, the update groups' optimizer (core.optim), whose step
-- each run then takes inside its backward pass, each parameter as soon as
-- its gradient is complete, so no gradient outlives its use.
function Graph:compile(spec)
  local update = {}
  for i, gr in ipairs(spec.update or {}) do update[i] = gr.id end
  return self.core:compile{ name = spec.name, loss = spec.loss and node_of(spec.loss, "loss").id,
                            update = update, fetch = ids_of(spec.fetch, "fetch"), wrt = ids_of(spec.wrt, "wrt"),
                            after = spec.after, optim = spec.optim }
end

-- g:prior(latent, {kind = "gaussian", name = ...}) -> [batch, latent] samples
-- from the prior, new every step (keyed by seed, step and name like every
-- random node). kind "mixture" (2-D): 10 gaussians around a circle; its
-- options components, radius, radial_sd, tangent_sd; the gaussian's sd.
function Graph:prior(latent, opts)
  local attrs, name, like = { dims = { self.batch, latent } }, nil, nil
  for k, v in pairs(opts or {}) do
    if k == "name" then name = v elseif k == "like" then like = v else attrs[k] = v end
  end
  -- As many rows as the batch has at run time: those of `like`, or of the
  -- graph's first input (the data), so that a partial batch or one rank's
  -- share under mpirun draws its own rows.
  like = like or self.first_input
  return self:op("prior", like and { like } or {}, attrs, name)
end

--- g:run_prior(plan, key): runs a plan of g:prior nodes for a whole batch of
-- draws; a prior draws as many rows as the graph's first input has, so that
-- input is set to a whole batch first (its values do not matter here).
function Graph:run_prior(plan, key)
  local like = self.first_input
  if like then
    local shape = self.core:shape(like.id)
    shape[1] = self.batch
    self.core:set_shape(like.id, shape)
  end
  plan:run(key)
end

-- Nodes ------------------------------------------------------------------

function Node:shape() return self.graph.core:shape(self.id) end
function Node:name() return self.graph.core:name(self.id) end
-- The script line that made the node ("vae.lua:14").
function Node:where() return self.graph.core:where(self.id) end
function Node:__tostring()
  return string.format("node '%s' [%s]", self:name(), table.concat(self:shape(), ","))
end

-- Values per example: the product of the dimensions after the batch.
function Node:per_example()
  local shape, n = self:shape(), 1
  for i = 2, #shape do n = n * shape[i] end
  return n
end

-- Arithmetic: nodes of one shape, a node and a scalar node (a loss weight),
-- a node and a per-example value ([batch] or [batch, 1], broadcast over the
-- example), or a node and a number (scale's factor and shift).
local function affine(x, factor, shift)
  return x.graph:op("scale", { x }, { factor = factor, shift = shift ~= 0 and shift or nil })
end

local function arith(opname, a, b)
  if type(a) == "number" and is_node(b) then
    if opname == "mul" then return affine(b, a, 0) end
    if opname == "add" then return affine(b, 1, a) end
    if opname == "sub" then return affine(b, -1, a) end
  elseif is_node(a) and type(b) == "number" then
    if opname == "mul" then return affine(a, b, 0) end
    if opname == "add" then return affine(a, 1, b) end
    if opname == "sub" then return affine(a, 1, -b) end
    if opname == "div" then return affine(a, 1 / b, 0) end
  end
  node_of(a, opname .. " left side")
  node_of(b, opname .. " right side")
  if opname == "div" then errors.fail("a node divides only by a number") end
  return a.graph:op(opname, { a, b })
end

Node.__add = function(a, b) return arith("add", a, b) end
Node.__sub = function(a, b) return arith("sub", a, b) end
Node.__mul = function(a, b) return arith("mul", a, b) end
Node.__div = function(a, b) return arith("div", a, b) end
Node.__unm = function(a) return affine(a, -1, 0) end

function Node:scale(f) return affine(self, f, 0) end

--- Ops as functions -------------------------------------------------------

-- vg.<op>(inputs..., {attrs}) -> node; the attribute `name` names the node,
-- the others go to the op, whose C record checks them by key.
local op_functions = {}
function M.op_function(opname)
  -- One function per op, so that a layer can tell vg.relu when it is given it.
  if op_functions[opname] then return op_functions[opname] end
  local f = function(...)
    local args, attrs = { ... }, nil
    if type(args[#args]) == "table" and not is_node(args[#args]) then attrs = table.remove(args) end
    local first = node_of(args[1], opname .. " input 1")
    local name = attrs and attrs.name
    if name then
      local rest = {}
      for k, v in pairs(attrs) do if k ~= "name" then rest[k] = v end end
      attrs = rest
    end
    return first.graph:op(opname, args, attrs, name)
  end
  op_functions[opname] = f
  return f
end

-- Every op of ops/ops.def (inputs and parameters are made by g:input and
-- g:param), in the list's order.
function M.ops()
  local list = {}
  for _, op in ipairs(core.ops()) do
    if not op.source then list[#list + 1] = op end
  end
  return list
end

return M
