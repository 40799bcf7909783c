-- Sentence corpora: a folder of Penn Treebank-style files (one sentence per
-- line, tokens split by spaces), or by default English sentences made from
-- Debian's `fortunes` package.
local core = require "vaegraph.core"
local errors = require "vaegraph.errors"
local files = require "vaegraph.files"
local text = {}

text.FORTUNES = "/usr/share/games/fortunes"

-- The English collections of the `fortunes` package; art and ascii-art
-- are pictures, not sentences.
local FORTUNE_FILES = { "computers", "cookie", "debian", "definitions", "disclaimer", "drugs", "education", "ethnic",
  "food", "fortunes", "goedel", "humorists", "kids", "knghtbrd", "law", "linux", "linuxcookie", "literature", "love",
  "magic", "medicine", "men-women", "miscellaneous", "news", "paradoxum", "people", "perl", "pets", "platitudes",
  "politics", "pratchett", "riddles", "science", "songs-poems", "sports", "startrek", "tao", "translate-me", "wisdom",
  "work", "zippy" }

local exists = files.exists

local function write_lines(path, lines) files.write_atomic(path, table.concat(lines, "\n") .. "\n") end

-- A fortune's text as PTB-like sentences: lower case, words of letters,
-- digits and apostrophes, numbers as N, , ; : as tokens of their own, a
-- sentence ending at . ! or ? (kept as its last token). Attribution lines
-- ("-- Author") are dropped.
local function sentences_of(fortune, out, min_words, max_words)
  local body = {}
  for line in fortune:gmatch("[^\n]+") do
    if not line:match("^%s*%-%-") then body[#body + 1] = line end
  end
  local words = {}
  local function flush()
    if #words >= min_words and #words <= max_words then out[#out + 1] = table.concat(words, " ") end
    words = {}
  end
  local s = table.concat(body, " "):lower():gsub("([%.!%?,;:])", " %1 "):gsub("[^%w'%.!%?,;:]", " ")
  for tok in s:gmatch("%S+") do
    if tok:match("^[%.!%?]$") then
      words[#words + 1] = tok
      flush()
    elseif tok:match("^[,;:]$") then
      words[#words + 1] = tok
    else
      tok = tok:gsub("^'+", ""):gsub("'+$", "")
      if tok ~= "" then words[#words + 1] = tok:match("^%d+$") and "N" or tok end
    end
  end
  flush()
end

-- Makes dir/train.txt and dir/test.txt from the fortunes (every tenth
-- sentence goes to the test file) unless they are there already.
function text.fortunes(dir)
  local train, test = dir .. "/fortunes.train.txt", dir .. "/fortunes.test.txt"
  if exists(train) and exists(test) then return train, test end
  local all, found = {}, 0
  for _, name in ipairs(FORTUNE_FILES) do
    local f = io.open(text.FORTUNES .. "/" .. name, "rb")
    if f then
      found = found + 1
      local data = f:read("*a")
      f:close()
      for fortune in (data .. "\n%\n"):gmatch("(.-)\n%%\n") do sentences_of(fortune, all, 3, 40) end
    end
  end
  if found == 0 then
    errors.fail("%s: no fortune files; install the Debian package fortunes (scripts/setup.sh does), " ..
      "or give --data a folder of Penn Treebank-style files", text.FORTUNES)
  end
  local tr, te = {}, {}
  for i, s in ipairs(all) do
    if i % 10 == 0 then te[#te + 1] = s else tr[#tr + 1] = s end
  end
  core.mkdir(dir)
  write_lines(train, tr)
  write_lines(test, te)
  return train, test
end

-- The corpus files of a folder: [ptb.]train.txt, valid.txt, test.txt. Without
-- a training file it trains on the validation file (as the benchmark does
-- with ../shared/data/ptb, which has only the valid and test files); without
-- a test file it tests on the validation file. It never trains and tests on
-- one file.
local function corpus_files(dir)
  local found = {}
  for _, kind in ipairs{ "train", "valid", "test" } do
    for _, name in ipairs{ "ptb." .. kind .. ".txt", kind .. ".txt", "fortunes." .. kind .. ".txt" } do
      if not found[kind] and exists(dir .. "/" .. name) then found[kind] = dir .. "/" .. name end
    end
  end
  if not found.train and not found.valid and not found.test then
    errors.fail("%s: no corpus files (train.txt, valid.txt, test.txt, or with a ptb. prefix: one sentence per line)", dir)
  end
  local train = found.train or found.valid
  local test = found.test or (found.train and found.valid)
  if not train or not test then
    errors.fail("%s: has only %s; it needs a file to train on and another to test on (train.txt, valid.txt, test.txt)",
      dir, found.train or found.valid or found.test)
  end
  if not found.train then io.stderr:write(string.format("warning: %s has no training file; training on %s\n", dir, train)) end
  return train, test
end

-- The data-source interface (data/images.lua describes it) over a corpus:
-- feeds give each input the batch's shape, [count, padded length] or
-- [count], the length that of the batch's longest sentence.
local FEEDS = {
  tokens = { "<sos> w1 .. wn, padded with <pad> (0)", function(t, g, id, first, count) t:fill(g, id, nil, nil, first, count) end },
  targets = { "w1 .. wn <eos>, padded", function(t, g, id, first, count) t:fill(g, nil, id, nil, first, count) end },
  lengths = { "n + 1 per sentence", function(t, g, id, first, count) t:fill(g, nil, nil, id, first, count) end },
}

local Split = {}
Split.__index = Split
Split.feeds = {}
for kind, f in pairs(FEEDS) do Split.feeds[kind] = f[1] end

function Split:size() return self.n end
function Split:order(shuffle, seed, epoch) self.corpus:order(shuffle, seed, epoch) end
-- Sentences carry no class.
function Split:labels(_, count)
  local l = {}
  for i = 1, count do l[i] = -1 end
  return l
end
-- Word ids of sentence i (from 0, file order).
function Split:sentence(i) return self.corpus:sentence(i) end

function Split:fill(kind, g, node, first, count)
  local f = FEEDS[kind]
  if not f then errors.fail("feed kind '%s' is not one a text source knows (valid: lengths, targets, tokens)", tostring(kind)) end
  f[2](self.corpus, g.core, node, first, count)
end

local function split(corpus) return setmetatable({ corpus = corpus, n = corpus:info().n, tokens = corpus:info().tokens }, Split) end

-- vg.text{ dir, lower, min_count, max_len, cache } -> a text source with
-- .vocab: the vocabulary comes from the training file alone.
function text.load(o)
  errors.check_keys("vg.text", o, { "dir", "lower", "min_count", "max_len", "cache" })
  o = o or {}
  local train, test
  if o.dir then train, test = corpus_files(o.dir)
  else train, test = text.fortunes(o.cache or "out/corpus") end
  local vocab = core.vocab(train, o.lower or false, o.min_count or 1)
  local max_len = o.max_len or 60
  return { kind = "text", train = split(core.text(train, vocab, max_len)), test = split(core.text(test, vocab, max_len)),
           vocab = vocab, files = { train = train, test = test }, max_len = max_len,
           -- What a checkpoint records, so a resume on other words is refused.
           fingerprint = string.format("vocabulary of %s, max_len %d", vocab:fingerprint(), max_len) }
end

return text
