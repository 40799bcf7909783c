-- The phase machinery an adversarial autoencoder rests on, on a tiny AAE:
--  * each phase moves its own parameter groups; the others stay bit-identical;
--  * stop_gradient blocks gradients: no plan can update the encoder through it;
--  * each phase has its own optimizer state: the regularization phase's first
--    Adam step moves every encoder weight by its learning rate, whatever the
--    reconstruction phase's Adam did to the same weights before.
local vg = require "vaegraph"
local core = require "vaegraph.core"

local g = vg.graph{ batch = 8, seed = 3 }
local x = g:input("x", { 6 })
local enc, dec, disc = g:group "encoder", g:group "decoder", g:group "discriminator"
local encode = vg.mlp(enc, { 6, 5, 2 })
local decode = vg.mlp(dec, { 2, 5, 6 }, vg.sigmoid)
local discriminate = vg.discriminator(disc, { 2, 4, 1 })
local code = encode(x)
local real = g:prior(2, { kind = "mixture", name = "prior" })
local rec = vg.bce(decode(code), x, { reduction = "mean" })
local disc_loss = vg.adversarial_loss(discriminate(real), true)
                  + vg.adversarial_loss(discriminate(vg.stop_gradient(code)), false)
local gen_loss = vg.adversarial_loss(discriminate(code), true)

local function phase(name, loss, groups, lr)
  local ids = {}
  for i, gr in ipairs(groups) do ids[i] = gr.id end
  return { name = name, plan = g:compile{ name = name, loss = loss, update = groups },
           optim = core.optim(g.core, "adam", { lr = lr }, ids) }
end
local p_rec = phase("reconstruction", rec, { enc, dec }, 0.01)
local p_disc = phase("discriminator", disc_loss, { disc }, 0.02)
local p_reg = phase("regularization", gen_loss, { enc }, 0.005)

local xs = {}
for i = 1, 8 * 6 do xs[i] = ((i * 37) % 11) / 10 end
g.core:data(x.id, xs)

-- Every parameter's values, by group name.
local PARAMS = {
  encoder = { "encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight", "encoder.fc2.bias" },
  decoder = { "decoder.fc1.weight", "decoder.fc1.bias", "decoder.fc2.weight", "decoder.fc2.bias" },
  discriminator = { "discriminator.fc1.weight", "discriminator.fc1.bias", "discriminator.fc2.weight",
                    "discriminator.fc2.bias" },
}
local function snapshot()
  local s = {}
  for group, names in pairs(PARAMS) do
    s[group] = {}
    for _, n in ipairs(names) do
      local id = assert(g.core:find(n), "no parameter " .. n)
      for _, v in ipairs(g.core:data(id)) do s[group][#s[group] + 1] = v end
    end
  end
  return s
end
local function same(a, b) -- bit-identical: floats compare exactly as doubles
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return #a == #b
end

local step = 0
local function run(p)
  step = step + 1
  local before = snapshot()
  p.plan:run(step)
  p.optim:step()
  return before, snapshot()
end
local function expect(p, moved)
  local before, after = run(p)
  for group in pairs(PARAMS) do
    local unchanged = same(before[group], after[group])
    if moved[group] then assert(not unchanged, p.name .. " did not move " .. group)
    else assert(unchanged, p.name .. " changed " .. group) end
  end
  return before, after
end

expect(p_rec, { encoder = true, decoder = true })
expect(p_disc, { discriminator = true })
expect(p_rec, { encoder = true, decoder = true })

-- The reconstruction phase has now taken two Adam steps on the encoder.
-- The regularization phase's first: m = (1 - b1) g, v = (1 - b2) g^2, so after
-- bias correction every weight with a gradient moves by lr (to eps).
local before, after = expect(p_reg, { encoder = true })
local moved, checked = 0, 0
for i = 1, #before.encoder do
  local d = math.abs(after.encoder[i] - before.encoder[i])
  if d > 0 then
    checked = checked + 1
    if math.abs(d - 0.005) < 2e-5 then moved = moved + 1 end
  end
end
assert(checked > 0 and moved == checked,
  string.format("regularization's first Adam step: %d of %d encoder weights moved by its lr", moved, checked))
expect(p_disc, { discriminator = true })

-- stop_gradient: the discriminator's loss reaches the encoder only through it.
local ok, err = pcall(function() return g:compile{ name = "bad", loss = disc_loss, update = { enc } } end)
assert(not ok and tostring(err):find("stop_gradient", 1, true), "updating the encoder through stop_gradient: " .. tostring(err))

-- The prior is random per step and the same at a repeated step.
local pp = g:compile{ name = "prior", fetch = { real } }
pp:run(1)
local a = pp:value(real.id)
pp:run(2)
local b = pp:value(real.id)
pp:run(1)
local c = pp:value(real.id)
assert(not same(a, b) and same(a, c), "prior draws are keyed by step")

-- The phases share one arena: after another phase runs, the prior's values
-- are gone, and reading them says so, naming both plans.
p_rec.plan:run(3)
local ok3, err3 = pcall(pp.value, pp, real.id)
assert(not ok3 and tostring(err3):find("plan 'reconstruction' ran after plan 'prior'", 1, true), tostring(err3))
pp:run(1)
assert(same(pp:value(real.id), a), "the prior's values after running it again")
local fresh = g:compile{ name = "fresh", fetch = { real } }
local ok4, err4 = pcall(fresh.value, fresh, real.id)
assert(not ok4 and tostring(err4):find("has not run yet", 1, true), tostring(err4))

-- The discriminator is an MLP ending in one logit.
local ok2, err2 = pcall(vg.discriminator, disc, { 2, 3 })
assert(not ok2 and tostring(err2):find("one logit", 1, true), tostring(err2))
print("ok")
