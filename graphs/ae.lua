-- Convolutional autoencoder, as in the classic Keras tutorial ("Building
-- Autoencoders in Keras"): three conv + max-pool stages down to a code of
-- 8 channels, three conv + upsample stages back up, sigmoid output, BCE.
-- On 28x28 images it is the tutorial's network, 8x4x4 code; it takes any
-- images whose sides are multiples of 4.
local vg = require "vaegraph"

local opt = vg.options{ epochs = 10, batch = 256, lr = 1e-3 }

local data = vg.images{ dir = opt.data }
local C, H, W = data.channels, data.height, data.width
-- Two 2x poolings then one more (padded when the side is an odd multiple
-- of 4, as 28 is), and the decoder retraces them.
if H % 4 ~= 0 or W % 4 ~= 0 or (H / 4) % 2 ~= (W / 4) % 2 then
  error(string.format("this network halves the images twice, so their sides must be multiples of 4 " ..
    "(both odd or both even multiples); %s has %dx%d images", data.name, H, W))
end
local odd = (H / 4) % 2 == 1

local g = vg.graph{ batch = opt.batch, seed = opt.seed }
local x = g:input("x", data.shape)
local enc, dec = g:group "encoder", g:group "decoder"

-- act = "relu" is Keras's activation argument: the ReLU runs inside the
-- convolution, on each image while it is in cache.
local same_relu = { padding = "same", act = "relu" }

local function encode(v)
  v = vg.maxpool2d(vg.conv2d(enc, "encoder.conv1", C, 16, 3, same_relu)(v))  -- 16 x H/2 x W/2
  v = vg.maxpool2d(vg.conv2d(enc, "encoder.conv2", 16, 8, 3, same_relu)(v))  -- 8 x H/4 x W/4
  v = vg.conv2d(enc, "encoder.conv3", 8, 8, 3, same_relu)(v)
  return vg.maxpool2d(v, { padding = odd and 1 or 0 })                        -- 8x4x4 on 28x28
end

local function decode(v)
  v = vg.upsample(vg.conv2d(dec, "decoder.conv1", 8, 8, 3, same_relu)(v))     -- 8x8x8
  v = vg.upsample(vg.conv2d(dec, "decoder.conv2", 8, 8, 3, same_relu)(v))     -- 8x16x16
  -- An unpadded convolution takes 16 back to 14 where the encoder padded.
  v = vg.upsample(vg.conv2d(dec, "decoder.conv3", 8, 16, 3, { act = "relu", padding = odd and 0 or "same" })(v))  -- 16x28x28
  return vg.conv2d(dec, "decoder.conv4", 16, C, 3, { padding = "same", act = "sigmoid" })(v)  -- C x H x W
end

local code = encode(x)
local xhat = decode(code)
local loss = vg.bce(xhat, x, { reduction = "mean", name = "rec" })

return vg.train{
  not_likelihood = "an autoencoder's loss is a reconstruction error: with no prior and no posterior it defines no p(x)",
  graph = g,
  data = data,
  epochs = opt.epochs,
  feed = { x = "image" },
  phases = { { "train", loss = loss, update = { enc, dec }, optim = vg.adam{ lr = opt.lr } } },
  eval = { test_loss = loss, test_rec = loss },
  scores = { rec = vg.per_example(vg.bce(xhat, x, { reduction = "none" })) },
  show = { input = x, reconstruction = xhat, code = vg.flatten(code) },
}
