-- Corpora and vocabulary: ids, order, cuts, padding and shapes of a batch,
-- partial batches, and clear errors for bad files.
local vg = require "vaegraph"
local core = vg.core
local dir = arg[1] or "."

local function write(name, text)
  local path = dir .. "/" .. name
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

local function expect_error(f, pattern)
  local ok, err = pcall(f)
  assert(not ok, "expected an error matching " .. pattern)
  assert(tostring(err):find(pattern, 1, true), "error '" .. tostring(err) .. "' lacks '" .. pattern .. "'")
end

local train = write("train.txt", "the cat sat\n\n  the dog sat on the mat  \nThe <unk> cat\na b c d e f g h\n")
local test = write("test.txt", "the bird sat\ncat\n")
local v = core.vocab(train, false, 1)
-- specials, then by count (the 3, sat 2, cat 2 -> cat before sat), ties by bytes
local want = { "<pad>", "<sos>", "<eos>", "<unk>", "the", "cat", "sat", "The", "a", "b" }
for i, w in ipairs(want) do assert(v:word(i - 1) == w, string.format("id %d is %s, want %s", i - 1, v:word(i - 1), w)) end
assert(v:id("<unk>") == 3 and v:id("bird") == 3 and v:id("the") == 4)
local lower = core.vocab(train, true, 2)
assert(lower:word(4) == "the" and lower:id("The") == 4 and lower:size() == 7, "lower-cased, min count 2; lookups too")

local t = core.text(train, v, 6) -- at most 5 words
local info = t:info()
assert(info.n == 4, "empty lines are skipped: " .. info.n)
assert(info.tokens == 4 + 6 + 4 + 6, "tokens with <eos>, cut sentences counted cut: " .. info.tokens)
local s = t:sentence(3)
assert(#s == 5 and v:word(s[5]) == "e", "a long sentence keeps its first max_len - 1 words")

-- A batch fills [count, T] with T the longest in it, pads with 0.
local g = vg.graph{ batch = 3 }
local tokens, targets, lengths = g:input("tokens", { 6 }), g:input("targets", { 6 }), g:input("lengths", {})
local T = t:fill(g.core, tokens.id, targets.id, lengths.id, 0, 3)
assert(T == 7 - 1, "padded length " .. T)
local shape = tokens:shape()
assert(shape[1] == 3 and shape[2] == 6, "tokens take the batch's shape")
local tk, tg, ln = g.core:data(tokens.id), g.core:data(targets.id), g.core:data(lengths.id)
local the, cat, sat = v:id("the"), v:id("cat"), v:id("sat")
local row1 = { 1, the, cat, sat, 0, 0 }
local trg1 = { the, cat, sat, 2, 0, 0 }
for j = 1, 6 do assert(tk[j] == row1[j] and tg[j] == trg1[j], "sentence 1 position " .. j) end
assert(ln[1] == 4 and ln[2] == 7 - 1 and ln[3] == 4, "lengths count <eos>")
-- A partial batch of the two test sentences, with an unknown word.
local tt = core.text(test, v, 6)
T = tt:fill(g.core, tokens.id, targets.id, lengths.id, 0, 2)
assert(T == 4 and tokens:shape()[1] == 2 and lengths:shape()[1] == 2, "a partial batch is [2, 4]")
assert(tt:info().unknown == 1, "one unknown word (bird)")
expect_error(function() g.core:set_shape(tokens.id, { 3, 7 }) end, "input 'tokens' is declared [3,6]; it cannot take shape [3,7]")

-- An op with lengths on such a batch: sizes follow the batch, and pack's rows too.
local m = g:group "m"
local emb = vg.embedding(m, "emb", v:size(), 4)(tokens)
local rnn = vg.lstm(m, "rnn", 4, 5)
local h = rnn(emb, lengths)
local packed = vg.pack(h, lengths)
local loss = vg.sum(packed)
local plan = g:compile{ name = "t", loss = loss, update = { m }, fetch = { h, packed } }
t:fill(g.core, tokens.id, targets.id, lengths.id, 0, 3)
plan:run(1)
assert(#plan:value(h.id) == 3 * 6 * 5 and #plan:value(packed.id) == (4 + 6 + 4) * 5, "shapes follow the batch")
tt:fill(g.core, tokens.id, targets.id, lengths.id, 0, 2)
plan:run(2)
assert(#plan:value(h.id) == 2 * 4 * 5 and #plan:value(packed.id) == (4 + 2) * 5, "and shrink with it")

-- Literal special tokens in the text are unknown words, never padding.
local specials = write("specials.txt", "a <pad> b <eos>\n")
local sp = core.text(specials, v, 60):sentence(0)
assert(sp[1] == v:id("a") and sp[2] == 3 and sp[3] == v:id("b") and sp[4] == 3, "literal <pad> and <eos> are <unk>")
expect_error(function() tt:fill(g.core, tokens.id, targets.id, lengths.id, 1, 2) end,
  "2 sentences from sentence 1 run past the corpus's 2")

-- Bad files: missing, not text (with the byte offset), empty.
expect_error(function() core.vocab(dir .. "/nope.txt", false, 1) end, "nope.txt: cannot open")
local bin = write("binary.txt", "good line\nbad\0line\n")
expect_error(function() core.vocab(bin, false, 1) end, "binary.txt: line 2, byte offset 13: a NUL byte; not a text file")
local empty = write("empty.txt", "\n  \n")
expect_error(function() core.vocab(empty, false, 1) end, "empty.txt: no words")
expect_error(function() core.text(empty, v, 60) end, "empty.txt: no sentences")
expect_error(function() vg.text{ dir = dir .. "/no_such_dir" } end, "no corpus files")
-- A folder with a test file only would train and test on one file.
local only = dir .. "/only_test"
assert(os.execute('mkdir -p "' .. only .. '"'))
write("only_test/test.txt", "the cat sat\n")
expect_error(function() vg.text{ dir = only } end, "only_test: has only " .. only .. "/test.txt; it needs a file to train on")

-- The fingerprint a checkpoint keeps: the same for the same words in the
-- same order, another for another list of the same length.
assert(v:fingerprint() == core.vocab(train, false, 1):fingerprint(), "fingerprint is stable")
assert(v:fingerprint() == v:size() .. " words, fnv1a64 " .. v:fingerprint():match("%x+$"), v:fingerprint())
local swapped = write("swapped.txt", "the cat sat\n\n  the dog sat on the mat  \nThe <unk> cat\na b c d e f g i\n")
local v2 = core.vocab(swapped, false, 1)
assert(v2:size() == v:size() and v2:fingerprint() ~= v:fingerprint(), "other words, other fingerprint")
print("ok")
