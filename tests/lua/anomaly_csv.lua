-- graphs/anomaly.lua on tabular data: a CSV of sensor-like rows, normal ones
-- (class 0) lying near a plane in 6-D and planted outliers (class 1) off
-- it. Trained on the normal rows for 200 short epochs, the model must rank the
-- held-out outliers first by negative ELBO (AUROC 1), write every test row's
-- scores, and refuse a malformed file naming its line.
--   vaegraph anomaly_csv.lua DIR SCRIPT
local dir, script = assert(arg[1], "usage: anomaly_csv.lua DIR SCRIPT"), assert(arg[2], "usage: anomaly_csv.lua DIR SCRIPT")
local exe = os.getenv("VG_RUN") or "vaegraph"

math.randomseed(11)
local function normal() return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random()) end
local A = { { 1, 0.5 }, { -0.7, 1.2 }, { 0.3, -1 }, { 1.1, 0.9 }, { -0.4, -0.6 }, { 0.8, -0.2 } }
local lines = { "temp,pressure,flow,vibration,current,speed,label" }
local outliers = 0
for i = 1, 1050 do
  local row, label = {}, 0
  if i % 21 == 0 then -- 50 outliers, 10 of them held out
    label, outliers = 1, outliers + 1
    for j = 1, 6 do row[j] = 1.5 * normal() end
  else
    local u, v = normal(), normal()
    for j = 1, 6 do row[j] = A[j][1] * u + A[j][2] * v + 0.05 * normal() end
  end
  for j = 1, 6 do row[j] = string.format("%.5f", 20 + 3 * row[j]) end
  lines[#lines + 1] = table.concat(row, ",") .. "," .. label
end
local function write(path, text) local f = assert(io.open(path, "w")); f:write(text); f:close() end
write(dir .. "/sensors.csv", table.concat(lines, "\n") .. "\n")

local function sh(cmd) local ok = os.execute(cmd) return ok == true or ok == 0 end
assert(sh(string.format("%s %s --csv %s/sensors.csv --epochs 200 --batch 64 --out %s/out --quiet", exe, script, dir, dir)),
  "anomaly.lua failed on the CSV")

-- test_scores.csv: every test row, the outliers on top by negative ELBO.
local f = assert(io.open(dir .. "/out/test_scores.csv"))
local header, at_label, at_score = f:read("*l"), nil, nil
local i = 0
for c in (header .. ","):gmatch("([^,]*),") do
  i = i + 1
  if c == "label" then at_label = i elseif c == "neg_elbo" then at_score = i end
end
local rows = {}
for line in f:lines() do
  local cells = {}
  for c in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c end
  rows[#rows + 1] = { label = tonumber(cells[at_label]), score = tonumber(cells[at_score]) }
end
f:close()
assert(#rows == 210, "200 normal and 10 outlier test rows, got " .. #rows)
table.sort(rows, function(a, b) return a.score > b.score end)
for k = 1, 10 do assert(rows[k].label == 1, string.format("rank %d is a normal row (score %.3f)", k, rows[k].score)) end
local m = assert(io.open(dir .. "/out/metrics.csv")):read("*a")
assert(m:find("auroc_neg_elbo", 1, true), "metrics.csv has the AUROC columns")

-- A malformed row is an error naming the file and line.
write(dir .. "/bad.csv", "a,b,label\n1,2,0\n3,x,0\n")
local p = io.popen(string.format("%s %s --csv %s/bad.csv --epochs 1 --out %s/bad 2>&1", exe, script, dir, dir))
local out = p:read("*a")
p:close()
assert(out:find("bad.csv:3: column 'b' (field 2) is 'x', not a finite number", 1, true), "unexpected: " .. out)
print("ok")
