-- What a run draws after each epoch, from the nodes a script names in
-- `show`:
--   input, reconstruction   test images over their reconstructions
--   rows                    instead: a list of image nodes shown in turn,
--                           8 images each (clean / noisy / denoised)
--   code                    the encoder's latent code (mu): scatter, interpolation
--   z, decoded              a latent input and the decoder applied to it:
--                           samples from the prior and interpolations
--   condition               name of a one-hot input the decoder also reads
--                           (CVAE): samples get one row per class
--   prior                   a prior node (g:prior): samples decode its draws
--                           instead of N(0, I), and the scatter shows them
--                           behind the codes
local core = require "vaegraph.core"
local outputs = {}

local SHOW_KEYS = { input = true, reconstruction = true, rows = true, code = true, z = true, decoded = true,
                    condition = true, prior = true }

-- Values per example of a node: the product of its dimensions after the batch.
local function per_example(shape)
  local n = 1
  for i = 2, #shape do n = n * shape[i] end
  return n
end

local function side(n)
  local s = math.floor(math.sqrt(n) + 0.5)
  return s * s == n and s or nil
end

-- Compiles the plans the pictures need; nil when the script shows nothing.
function outputs.prepare(g, show)
  if not show then return nil end
  for k in pairs(show) do
    if not SHOW_KEYS[k] then
      error(string.format("vg.train show: unknown key '%s' (valid: code, condition, decoded, input, prior, reconstruction, rows, z)", tostring(k)), 4)
    end
  end
  local o = { show = show }
  o.rows = show.rows or (show.input and show.reconstruction and { show.input, show.reconstruction })
  local fetch = {}
  for _, n in ipairs(o.rows or {}) do fetch[#fetch + 1] = n end
  if show.code then fetch[#fetch + 1] = show.code end
  if #fetch > 0 then o.encode = g:compile{ name = "show", fetch = fetch } end
  if show.z and show.decoded then o.decode = g:compile{ name = "sample", fetch = { show.decoded } } end
  if show.prior then o.prior = g:compile{ name = "prior", fetch = { show.prior } } end
  if show.condition then
    o.condition = g.core:find(show.condition)
    if not o.condition then error("vg.train show: no input named '" .. show.condition .. "'", 4) end
  end
  local first = o.rows and o.rows[1] or show.decoded
  if first then o.side = side(per_example(first:shape())) end
  return o
end

-- The decoded rows as images; `lo`, `hi` the pixel range.
local function decode_grid(run, o, path, cols, count)
  o.decode:run(2 ^ 41 + run.epoch)
  core.grid_png(path, { { o.decode, o.show.decoded.id, 0, count } }, cols, o.side, o.side, run.lo, run.hi, 2)
end

local function set_condition(run, o, class_of_row)
  if not o.condition then return end
  local g, batch = run.graph, run.graph.batch
  local shape = g.core:shape(o.condition)
  local v = {}
  for r = 0, batch - 1 do
    for c = 0, shape[2] - 1 do v[r * shape[2] + c + 1] = (class_of_row(r) == c) and 1 or 0 end
  end
  g.core:data(o.condition, v)
end

function outputs.write(run, o)
  if not o or not o.side then return end
  local g, batch, out = run.graph, run.graph.batch, run.out
  local test = run.data.test
  local per_row = math.min(8, batch)
  -- 1. Reconstructions: groups of rows, e.g. originals above reconstructions.
  if o.encode and o.rows then
    test:order(false, 0, 0)
    run.fill(test, 0)
    o.encode:run(2 ^ 41 + run.epoch)
    local src = {}
    for r = 0, math.min(4, math.floor(batch / per_row)) - 1 do
      for _, n in ipairs(o.rows) do
        local side_n = side(per_example(n:shape()))
        if side_n ~= o.side then error(string.format("show.rows: '%s' is not %dx%d images", n:name(), o.side, o.side), 0) end
        src[#src + 1] = { o.encode, n.id, r * per_row, per_row }
      end
    end
    core.grid_png(out .. "/reconstructions.png", src, per_row, o.side, o.side, run.lo, run.hi, 2)
  end
  if not o.decode then return end
  local zdim = per_example(g.core:shape(o.show.z.id))
  -- 2. Samples from the prior N(0, I): the same draws every epoch, so the
  -- pictures show the decoder changing, not the noise. With a condition,
  -- row r is class r.
  local rows = o.condition and g.core:shape(o.condition)[2] or 8
  local count = math.min(batch, rows * per_row)
  if o.prior then
    o.prior:run(2 ^ 42)
    g.core:data(o.show.z.id, o.prior:value(o.show.prior.id))
  else
    g.core:normal(o.show.z.id, run.seed, 2 ^ 42)
  end
  set_condition(run, o, function(r) return math.floor(r / per_row) end)
  decode_grid(run, o, out .. "/samples.png", per_row, count)
  -- 3. Interpolation between the codes of test images 2k and 2k+1, ten
  -- steps each, one pair per row.
  if o.show.code and o.encode then
    test:order(false, 0, 0)
    run.fill(test, 0)
    o.encode:run(2 ^ 41 + run.epoch)
    local codes = o.encode:value(o.show.code.id)
    local labels = test:labels(0, batch)
    local steps, pairs_ = 10, math.min(4, math.floor(batch / 10))
    if pairs_ == 0 then return end -- a batch under 10 holds no interpolation row
    local z = {}
    for i = 1, batch * zdim do z[i] = 0 end
    for p = 0, pairs_ - 1 do
      local a, b = 2 * p, 2 * p + 1
      for s = 0, steps - 1 do
        local t = s / (steps - 1)
        for j = 1, zdim do
          z[(p * steps + s) * zdim + j] = (1 - t) * codes[a * zdim + j] + t * codes[b * zdim + j]
        end
      end
    end
    g.core:data(o.show.z.id, z)
    set_condition(run, o, function(r) return labels[2 * math.floor(r / steps) + 1] end)
    decode_grid(run, o, out .. "/interpolation.png", steps, pairs_ * steps)
  end
end

-- 4. The test set's codes coloured by label (PCA when more than 2-D).
function outputs.scatter(run, o)
  if not o or not o.encode or not o.show.code then return end
  local g, batch, test = run.graph, run.graph.batch, run.data.test
  local dim = per_example(g.core:shape(o.show.code.id))
  local codes, labels = {}, {}
  test:order(false, 0, 0)
  for b = 0, run.test_batches - 1 do
    run.fill(test, b * batch)
    o.encode:run(2 ^ 41 + run.epoch)
    local c = o.encode:value(o.show.code.id)
    for i = 1, #c do codes[#codes + 1] = c[i] end
    local l = test:labels(b * batch, batch)
    for i = 1, #l do labels[#labels + 1] = l[i] end
  end
  -- Prior draws behind the codes (as many as a tenth of the test set).
  local background
  if o.prior then
    background = {}
    for b = 1, math.max(1, math.floor(#labels / batch / 10)) do
      o.prior:run(2 ^ 42 + b)
      local p = o.prior:value(o.show.prior.id)
      for i = 1, #p do background[#background + 1] = p[i] end
    end
  end
  local title = string.format("latent %s, epoch %d%s%s", o.prior and "codes" or "means", run.epoch,
    o.prior and " over prior samples" or "", dim > 2 and " (PCA)" or "")
  core.scatter_png(run.out .. "/latent.png", codes, dim, labels, background, 600, title)
end

return outputs
