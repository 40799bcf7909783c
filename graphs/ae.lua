-- Convolutional autoencoder, as in the classic Keras tutorial ("Building
-- Autoencoders in Keras"): three conv + max-pool stages down to an 8x4x4
-- code, three conv + upsample stages back up, sigmoid output, BCE.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 256, lr = 1e-3 }

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", { 1, 28, 28 })
local enc, dec = g:group "encoder", g:group "decoder"

-- act = "relu" is Keras's activation argument: the ReLU runs inside the
-- convolution, on each image while it is in cache.
local same_relu = { padding = "same", act = "relu" }

local function encode(v)
  v = vg.maxpool2d(vg.conv2d(enc, "encoder.conv1", 1, 16, 3, same_relu)(v))  -- 16x14x14
  v = vg.maxpool2d(vg.conv2d(enc, "encoder.conv2", 16, 8, 3, same_relu)(v))  -- 8x7x7
  v = vg.conv2d(enc, "encoder.conv3", 8, 8, 3, same_relu)(v)
  return vg.maxpool2d(v, { padding = 1 })                                     -- 8x4x4
end

local function decode(v)
  v = vg.upsample(vg.conv2d(dec, "decoder.conv1", 8, 8, 3, same_relu)(v))     -- 8x8x8
  v = vg.upsample(vg.conv2d(dec, "decoder.conv2", 8, 8, 3, same_relu)(v))     -- 8x16x16
  v = vg.upsample(vg.conv2d(dec, "decoder.conv3", 8, 16, 3, { act = "relu" })(v))  -- 16x28x28
  return vg.conv2d(dec, "decoder.conv4", 16, 1, 3, { padding = "same", act = "sigmoid" })(v)  -- 1x28x28
end

local code = encode(x)
local xhat = decode(code)
local loss = vg.bce(xhat, x, { reduction = "mean", name = "rec" })

return vg.train{
  graph = g,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  eval = { test_loss = loss, test_rec = loss },
  show = { input = x, reconstruction = xhat, code = vg.flatten(code) },
}
