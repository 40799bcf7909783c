-- Metrics over a whole test set, computed from per-example scores (the
-- columns of test_scores.csv): for a script's `score_metrics`.
local errors = require "vaegraph.errors"
local stats = {}

local function check(what, scores, positive)
  if type(scores) ~= "table" or type(positive) ~= "table" or #scores ~= #positive then
    errors.fail("%s: scores and positives must be lists of one length", what)
  end
end

-- Ranks of scores (1 = lowest), ties given their average rank.
local function ranks(scores)
  local idx = {}
  for i = 1, #scores do idx[i] = i end
  table.sort(idx, function(a, b) return scores[a] < scores[b] end)
  local r, i = {}, 1
  while i <= #idx do
    local j = i
    while j < #idx and scores[idx[j + 1]] == scores[idx[i]] do j = j + 1 end
    for k = i, j do r[idx[k]] = (i + j) / 2 end
    i = j + 1
  end
  return r
end

-- Walks the scores from the highest down, a group of tied scores at a
-- time, calling visit(tp, fp) after each group with the positives and
-- negatives seen so far.
local function tied_groups(scores, positive, visit)
  local idx = {}
  for i = 1, #scores do idx[i] = i end
  table.sort(idx, function(a, b) return scores[a] > scores[b] end)
  local tp, fp, i = 0, 0, 1
  while i <= #idx do
    local j = i
    while j < #idx and scores[idx[j + 1]] == scores[idx[i]] do j = j + 1 end
    for k = i, j do
      if positive[idx[k]] == true or positive[idx[k]] == 1 then tp = tp + 1 else fp = fp + 1 end
    end
    visit(tp, fp)
    i = j + 1
  end
end

-- The area under the ROC curve: the chance that a random positive example
-- scores above a random negative one (ties count half), by the rank-sum
-- (Mann-Whitney) formula. positive[i] is true/false or 1/0. NaN when one
-- class is missing.
function stats.auroc(scores, positive)
  check("stats.auroc", scores, positive)
  local r, npos, sum = ranks(scores), 0, 0
  for i = 1, #scores do
    if positive[i] == true or positive[i] == 1 then
      npos = npos + 1
      sum = sum + r[i]
    end
  end
  local nneg = #scores - npos
  if npos == 0 or nneg == 0 then return 0 / 0 end
  return (sum - npos * (npos + 1) / 2) / (npos * nneg)
end

-- Average precision: the mean, over the positive examples, of the precision
-- among the examples scoring at least as high (scikit-learn's definition,
-- ties resolved by taking each tied group together).
function stats.average_precision(scores, positive)
  check("stats.average_precision", scores, positive)
  local total = 0
  for i = 1, #scores do if positive[i] == true or positive[i] == 1 then total = total + 1 end end
  if total == 0 then return 0 / 0 end
  local ap, last_recall = 0, 0
  tied_groups(scores, positive, function(tp, fp)
    local recall = tp / total
    ap = ap + (recall - last_recall) * (tp / (tp + fp))
    last_recall = recall
  end)
  return ap
end

-- The ROC curve: lists fpr and tpr from (0, 0) to (1, 1), a point after
-- each group of tied scores, from the highest score down.
function stats.roc(scores, positive)
  check("stats.roc", scores, positive)
  local npos = 0
  for i = 1, #scores do if positive[i] == true or positive[i] == 1 then npos = npos + 1 end end
  local nneg = #scores - npos
  local fpr, tpr = { 0 }, { 0 }
  tied_groups(scores, positive, function(tp, fp)
    fpr[#fpr + 1], tpr[#tpr + 1] = nneg > 0 and fp / nneg or 0, npos > 0 and tp / npos or 0
  end)
  return fpr, tpr
end

-- Counts of xs in `bins` equal bins over [lo, hi] (values outside go to the
-- end bins), as densities (each count over n * width), and the bins' centres.
function stats.histogram(xs, bins, lo, hi)
  local counts, centres, width = {}, {}, (hi - lo) / bins
  for b = 1, bins do counts[b], centres[b] = 0, lo + (b - 0.5) * width end
  if width <= 0 then return centres, counts end
  for _, x in ipairs(xs) do
    local b = math.floor((x - lo) / width) + 1
    if b < 1 then b = 1 elseif b > bins then b = bins end
    counts[b] = counts[b] + 1
  end
  for b = 1, bins do counts[b] = #xs > 0 and counts[b] / (#xs * width) or 0 end
  return centres, counts
end

-- The q-quantile of a list (0 <= q <= 1), by the nearest rank.
function stats.quantile(xs, q)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  if #s == 0 then return 0 / 0 end
  return s[math.max(1, math.min(#s, math.floor(q * #s + 0.5)))]
end

-- The mean of a list.
function stats.mean(xs)
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  return #xs > 0 and s / #xs or 0 / 0
end

return stats
