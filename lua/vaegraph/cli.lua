-- Command-line options: the program's flags, which every script takes, and a
-- script's own options declared with their defaults.
local cli = {}

-- The program's flags, their defaults (nil: the script's or the trainer's
-- choice), what they mean (`vaegraph SCRIPT --help` prints it) and, for
-- some whole numbers, the range they must lie in.
cli.flags = {
  { "epochs", "integer", nil, "training epochs (default: the script's)", { 1, 1e9 } },
  { "batch", "integer", nil, "batch size (default: the script's)", { 1, 2 ^ 24 } },
  { "data", "string", nil, "data folder: MNIST-format IDX files (default Fashion-MNIST), or for sentence scripts train/valid/test .txt files (default fortunes)" },
  { "compress", "boolean", nil, "hold image data compressed in memory: lossless, about half the bytes (Fashion-MNIST), each example decoded when a batch reads it (about 3 us); default: the script's choice, else off" },
  { "out", "string", nil, "folder for metrics.csv, images and checkpoints (default: out/<script>)" },
  { "threads", "integer", nil, "OpenMP threads (default: all cores, and one fewer while training finds another process on one: results are the same at any count)", { 1, 1024 } },
  { "seed", "integer", 1, "seed for initialisation, shuffling and noise" },
  { "resume", "string", nil, "checkpoint to continue from" },
  { "init", "string", nil, "start from the parameters in this safetensors file, each by name (a checkpoint, or PyTorch weights from bench/torch_weights.py); the optimizer starts afresh" },
  { "eval_only", "boolean", false, "with --resume or --init: evaluate those parameters (test metrics, test_scores.csv, pictures), no training" },
  { "eval_mean", "boolean", false, "evaluate with every reparam at its mean (z = mu) and every Gumbel-softmax at its mode: deterministic test metrics, e.g. to compare a checkpoint with the PyTorch peer's evaluation of it" },
  { "eval_ll", "integer", nil, "K: after the last epoch (or with --eval-only), the importance-sampled -log p(x) of every test example from K posterior samples (test_nll_is)", { 1, 2 ^ 31 } },
  { "quality", "boolean", false, "after every epoch, score samples and codes: sample_fd, sample_classes (sample_accuracy when conditional) by the judge, and code_fd against the prior" },
  { "judge", "string", nil, "with --quality: the classifier checkpoint that judges samples (default: out/judge/checkpoint.safetensors, trained there once when missing)" },
  { "save_samples", "boolean", false, "with --quality: also write the samples it scores as <out>/samples-idx3-ubyte (for other tools)" },
  { "limit", "integer", nil, "use at most this many training and test examples per epoch (quick runs)", { 1, 2 ^ 53 } },
  { "plan", "boolean", false, "print the compiled graph and planned memory, then stop" },
  { "dot", "boolean", false, "write the compiled graph as Graphviz DOT to standard output, then stop: each phase's forward and backward steps, shapes, parameter groups, memory slots (vaegraph --dot x.lua | dot -Tsvg > x.svg)" },
  { "quiet", "boolean", false, "no progress output, only errors" },
  { "help", "boolean", false, "print the options and stop" },
}

function cli.flag(name)
  for _, f in ipairs(cli.flags) do if f[1] == name then return f end end
end

local function convert(kind, key, text, range)
  if kind == "integer" then
    local v = tonumber(text)
    if not v or v ~= math.floor(v) or (not range and (v < 0 or v > 2 ^ 53)) then
      error(string.format("option --%s wants a whole number, got '%s'", key, tostring(text)), 0)
    end
    if range and (v < range[1] or v > range[2]) then
      error(string.format("option --%s wants a whole number from %d to %.0f, got %s", key, range[1], range[2], text), 0)
    end
    return v
  elseif kind == "number" then
    local v = tonumber(text)
    if not v then error(string.format("option --%s wants a number, got '%s'", key, tostring(text)), 0) end
    return v
  elseif kind == "boolean" then
    if text == nil or text == "true" or text == "1" then return true end
    if text == "false" or text == "0" then return false end
    error(string.format("option --%s is true or false, got '%s'", key, text), 0)
  end
  return text
end

-- Parses argv (the global `arg`) against the program's flags and the script's
-- options; returns a table of every option's value.
function cli.parse(argv, script_defaults)
  local kinds, ranges, out, order, given = {}, {}, {}, {}, {}
  for _, f in ipairs(cli.flags) do
    kinds[f[1]], ranges[f[1]] = f[2], f[5]
    out[f[1]] = f[3]
    order[#order + 1] = f[1]
  end
  -- A script's defaults may also set a program flag's default (epochs = 10).
  for k, v in pairs(script_defaults or {}) do
    local f = cli.flag(k)
    if f and type(v) ~= (f[2] == "integer" and "number" or f[2]) then
      error(string.format("script default for --%s must be a %s, got %s", k, f[2], type(v)), 0)
    end
    if not f then
      kinds[k] = type(v)
      order[#order + 1] = k
    end
    out[k] = v
  end
  local i = 1
  while argv and argv[i] do
    local a = argv[i]
    local key, value = a:match("^%-%-([%w_%-]+)=(.*)$")
    key = key or a:match("^%-%-([%w_%-]+)$")
    if not key then error(string.format("unexpected argument '%s' (options look like --name value)", a), 0) end
    key = key:gsub("%-", "_")
    local kind = kinds[key]
    if not kind then
      table.sort(order)
      error(string.format("unknown option --%s (valid: --%s)", key, table.concat(order, ", --")), 0)
    end
    if value == nil and kind ~= "boolean" then
      i = i + 1
      value = argv[i]
      if value == nil then error(string.format("option --%s needs a value", key), 0) end
    end
    out[key] = convert(kind, key, value, ranges[key])
    given[key] = true
    i = i + 1
  end
  return out, given
end

function cli.help(script, script_defaults)
  local lines = { string.format("usage: vaegraph %s [options]", script or "SCRIPT.lua"), "", "program options:" }
  for _, f in ipairs(cli.flags) do
    local d = script_defaults and script_defaults[f[1]]
    lines[#lines + 1] = string.format("  --%-10s %s%s", f[1], f[4], d ~= nil and (" [script: " .. tostring(d) .. "]") or "")
  end
  local keys = {}
  for k in pairs(script_defaults or {}) do if not cli.flag(k) then keys[#keys + 1] = k end end
  table.sort(keys)
  if #keys > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "script options:"
    for _, k in ipairs(keys) do
      lines[#lines + 1] = string.format("  --%-10s (default %s)", k, tostring(script_defaults[k]))
    end
  end
  return table.concat(lines, "\n")
end

return cli
