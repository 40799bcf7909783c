-- A small VAE with batch norm in both halves, on images and on features:
-- the model tests/mpi.sh trains on 2 ranks, where every batch norm must
-- normalise by the whole batch's statistics (not one rank's share) to give
-- a 1-rank run's losses. Run with --data DIR (tests/lua/make_data.lua).
local vg = require "vaegraph"

local opt = vg.options{ epochs = 2, batch = 63, hidden = 32, latent = 4, lr = 1e-3 }

local data = vg.images{ dir = opt.data }
local C, H, W = data.channels, data.height, data.width
local halve = function(s) return math.floor((s + 1) / 2) end
local flat = 4 * halve(H) * halve(W)

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", data.shape)
local enc, dec = g:group "encoder", g:group "decoder"

-- No bias before a batch norm: the norm removes it, so its gradient is
-- rounding noise, which Adam would scale up into steps that move the
-- running mean (and differ with the summation order).
local h = vg.conv2d(enc, "encoder.conv", C, 4, 3, { stride = 2, padding = 1, bias = false })(x)
h = vg.relu(vg.batch_norm(enc, "encoder.bn1", 4)(h))                  -- per channel of [B, 4, H/2, W/2]
h = vg.linear(enc, "encoder.fc", flat, opt.hidden, { bias = false })(vg.flatten(h))
h = vg.relu(vg.batch_norm(enc, "encoder.bn2", opt.hidden)(h))         -- per feature of [B, hidden]
local mu = vg.linear(enc, "encoder.mu", opt.hidden, opt.latent)(h)
local logvar = vg.linear(enc, "encoder.logvar", opt.hidden, opt.latent)(h)
local z = vg.reparam(mu, logvar, { name = "z" })

local fc1 = vg.linear(dec, "decoder.fc1", opt.latent, opt.hidden, { bias = false })
local bn = vg.batch_norm(dec, "decoder.bn", opt.hidden, { momentum = 0.2 })
local fc2 = vg.linear(dec, "decoder.fc2", opt.hidden, C * H * W)
local function decode(v) return vg.reshape(vg.sigmoid(fc2(vg.relu(bn(fc1(v))))), { dims = { -1, C, H, W } }) end
local xhat = decode(z)

local rec = vg.bce(xhat, x, { reduction = "batchmean", name = "rec" })
local kl = vg.kl_normal(mu, logvar, { reduction = "batchmean", name = "kl" })
local loss = rec + kl

return vg.train{
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  eval = { test_loss = loss, test_rec = rec, test_kl = kl },
}
