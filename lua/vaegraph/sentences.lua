-- Generation from a sentence VAE, and the text a run writes after each
-- epoch (samples.txt): samples from the prior (greedy, and drawn with a
-- temperature), test sentences with their greedy reconstructions from the
-- posterior mean, and homotopies (Bowman et al. 2016): evenly spaced points
-- between two test sentences' codes, decoded greedily.
--
-- Decoding runs the decoder one token at a time on the graph's generation
-- inputs (the script builds them beside the training nodes, sharing the
-- layers): a latent code z gives the initial state; each step reads the
-- last token and the state, and gives logits and the next state.
local files = require "vaegraph.files"
local sentences = {}

local SOS, EOS = 1, 2

local errors = require "vaegraph.errors"
local function fail(fmt, ...) errors.fail("sentences.report: " .. fmt, ...) end

local function as_table(v) return type(v) == "table" and v or { v } end

-- r: the report's nodes and plans. codes: a list of latent vectors.
-- Returns one list of word ids per code.
local function decode(r, codes, temperature, key)
  local g, H, n = r.graph, r.hidden, #codes
  if n == 0 then return {} end
  local flat = {}
  for _, c in ipairs(codes) do for _, v in ipairs(c) do flat[#flat + 1] = v end end
  g.core:set_shape(r.z.id, { n, r.latent })
  g.core:set_shape(r.token.id, { n, 1 })
  g.core:set_shape(r.lengths.id, { n })
  g.core:set_shape(r.state.id, { n, r.state_width })
  g.core:data(r.z.id, flat)
  r.init:run(key)
  local h0 = as_table(r.init:value(r.h0.id))
  -- The state is h (then c = 0 for an LSTM) per sentence.
  local state, tokens, ones, words, done = {}, {}, {}, {}, 0
  for b = 1, n do
    for j = 1, H do state[(b - 1) * r.state_width + j] = h0[(b - 1) * H + j] end
    for j = H + 1, r.state_width do state[(b - 1) * r.state_width + j] = 0 end
    tokens[b], ones[b], words[b] = SOS, 1, {}
  end
  for t = 1, r.max_len do
    g.core:data(r.token.id, tokens)
    g.core:data(r.lengths.id, ones)
    g.core:data(r.state.id, state)
    r.step:run(key + t)
    local ids = r.step:pick(r.logits.id, temperature, r.seed, key + t)
    state = as_table(r.step:value(r.next_state.id))
    for b = 1, n do
      if tokens[b] ~= EOS then
        if ids[b] == EOS then done = done + 1 else words[b][#words[b] + 1] = ids[b] end
      end
      tokens[b] = tokens[b] == EOS and EOS or ids[b]
    end
    if done == n then break end
  end
  return words
end

local function text_of(vocab, ids)
  local w = {}
  for i, id in ipairs(ids) do w[i] = vocab:word(id) end
  return table.concat(w, " ")
end

-- sentences.report{ vocab, test, encoder = { tokens, lengths, mu },
--   generate = { z, h0, token, lengths, state, next_state, logits },
--   samples = 10, temperature = 1, pairs = 2, max_len = 60, prior } ->
-- function(run) for vg.train's `report`. Samples decode draws from N(0, I),
-- or from `prior` (a g:prior node: a categorical code's).
function sentences.report(o)
  for _, k in ipairs{ "vocab", "test", "encoder", "generate" } do
    if not o[k] then fail("needs %s", k) end
  end
  local e, gen = o.encoder, o.generate
  for _, k in ipairs{ "z", "h0", "token", "lengths", "state", "next_state", "logits" } do
    if not gen[k] then fail("generate needs %s", k) end
  end
  local g = gen.z.graph
  local r = {
    graph = g, seed = g.seed, z = gen.z, h0 = gen.h0, token = gen.token, lengths = gen.lengths, state = gen.state,
    next_state = gen.next_state, logits = gen.logits, latent = gen.z:shape()[2], hidden = gen.h0:shape()[2],
    state_width = gen.state:shape()[2], max_len = o.max_len or 60,
    init = g:compile{ name = "generate_init", fetch = { gen.h0 } },
    step = g:compile{ name = "generate_step", fetch = { gen.logits, gen.next_state } },
    encode = g:compile{ name = "encode", fetch = { e.mu } },
    prior = o.prior and g:compile{ name = "prior", fetch = { o.prior } },
  }
  local samples, temperature, pairs = o.samples or 10, o.temperature or 1, o.pairs or 2
  local batch = g.batch
  if samples > batch or 2 * pairs > batch or 5 * pairs > batch then fail("samples and 5 * pairs must fit a batch of %d", batch) end

  return function(run)
    local key = 2 ^ 41 + run.epoch * 100000 -- apart from training and evaluation draws
    local lines = { string.format("# %s, epoch %d, step %d", run.out, run.epoch, run.step) }
    local function section(title) lines[#lines + 1] = "\n## " .. title end

    -- Codes from the prior, keyed by the seed and epoch like every draw.
    g.core:set_shape(r.z.id, { samples, r.latent })
    local flat
    if r.prior then
      g:run_prior(r.prior, key)
      local draws = as_table(r.prior:value(o.prior.id))
      flat = {}
      for i = 1, samples * r.latent do flat[i] = draws[i] end
    else
      g.core:normal(r.z.id, r.seed, key)
      flat = g.core:data(r.z.id)
    end
    local prior = {}
    for b = 1, samples do
      prior[b] = {}
      for j = 1, r.latent do prior[b][j] = flat[(b - 1) * r.latent + j] end
    end
    section("samples from the prior, greedy")
    for _, ids in ipairs(decode(r, prior, 0, key)) do lines[#lines + 1] = text_of(o.vocab, ids) end
    section(string.format("samples from the prior, temperature %g", temperature))
    for _, ids in ipairs(decode(r, prior, temperature, key + 1000)) do lines[#lines + 1] = text_of(o.vocab, ids) end

    -- Posterior means of the first test sentences (file order).
    local test = o.test
    test:order(false, 0, 0)
    local count = math.min(batch, test:size())
    test:fill("tokens", g, e.tokens.id, 0, count)
    test:fill("lengths", g, e.lengths.id, 0, count)
    r.encode:run(key + 2000)
    local mu_flat, mu = as_table(r.encode:value(e.mu.id)), {}
    for b = 1, count do
      mu[b] = {}
      for j = 1, r.latent do mu[b][j] = mu_flat[(b - 1) * r.latent + j] end
    end
    section("test sentences (>) and their greedy reconstructions (=)")
    local nrec = math.min(samples, count)
    local first = {}
    for b = 1, nrec do first[b] = mu[b] end
    local rec = decode(r, first, 0, key + 3000)
    for b = 1, nrec do
      lines[#lines + 1] = "> " .. text_of(o.vocab, test:sentence(b - 1))
      lines[#lines + 1] = "= " .. text_of(o.vocab, rec[b])
    end

    section("homotopies: 5 evenly spaced codes from one test sentence's to another's, decoded greedily")
    local codes = {}
    for p = 1, math.min(pairs, math.floor(count / 2)) do
      local a, b = mu[2 * p - 1], mu[2 * p]
      for s = 0, 4 do
        local c = {}
        for j = 1, r.latent do c[j] = a[j] + (b[j] - a[j]) * s / 4 end
        codes[#codes + 1] = c
      end
    end
    local hom = decode(r, codes, 0, key + 4000)
    for i, ids in ipairs(hom) do
      if (i - 1) % 5 == 0 then lines[#lines + 1] = "" end
      lines[#lines + 1] = string.format("%.2f  %s", ((i - 1) % 5) / 4, text_of(o.vocab, ids))
    end

    files.write_atomic(run.out .. "/samples.txt", table.concat(lines, "\n") .. "\n")
  end
end

return sentences
