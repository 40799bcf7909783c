-- vg.csv on inputs the fuzzer found: what it accepts is fed finite, and a
-- label past the class-id range is refused with the file and line.
local vg = require "vaegraph"
local dir = os.tmpname()
os.remove(dir)
vg.core.mkdir(dir)
local function file(name, text)
  local path = dir .. "/" .. name
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end
local function expect(o, want)
  local ok, err = pcall(vg.csv, o)
  assert(not ok, "accepted; wanted: " .. want)
  if not tostring(err):find(want, 1, true) then error(string.format("\n  got  %s\n  want %s", tostring(err), want), 2) end
end

-- Features near the double range: statistics and fed values stay finite.
local huge = vg.csv{ file = file("huge.csv", "a,label\n1e308,0\n-1e308,0\n1e308,0\n5,1\n-3,1\n"), label = "label", every = 2 }
assert(huge.mean[1] == huge.mean[1] and math.abs(huge.mean[1]) < math.huge, "mean " .. tostring(huge.mean[1]))
assert(huge.sd[1] > 0 and huge.sd[1] < math.huge, "sd " .. tostring(huge.sd[1]))

-- Labels: past 2^20 - 1, or past 2^53 where floats stop counting, are refused.
expect({ file = file("big_label.csv", "a,label\n1,0\n2,0x7fffffffffffffff\n3,1\n"), label = "label" },
  "big_label.csv:3: label '0x7fffffffffffffff' in column 'label' is not a class id (a whole number from 0 to 1048575")
expect({ file = file("float_label.csv", "a,label\n1,888888888888888888888888\n2,1\n"), label = "label" },
  "float_label.csv:2: label '888888888888888888888888' in column 'label' is not a class id")
-- A test value the training rows' spread cannot standardise within a float.
local train = file("tiny_train.csv", "a\n1e-300\n2e-300\n")
expect({ train = train, test = file("far_test.csv", "a\n1e300\n") },
  "far_test.csv:2: column 'a' is 1e+300")
os.execute("rm -rf '" .. dir .. "'")
print("ok")
