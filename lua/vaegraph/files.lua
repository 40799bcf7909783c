-- Small file helpers the outputs share. Every output a run writes (metrics,
-- samples, a cut corpus) goes through write_atomic, so a full disk or a
-- killed run leaves the previous file whole rather than half of a new one.
local core = require "vaegraph.core"
local files = {}

function files.is_dir(path) return core.kind(path) == "folder" end

function files.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- Writes text to path.tmp, then renames it over path. Errors name the file.
function files.write_atomic(path, text)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "w")
  if not f then error(err, 0) end
  local ok = f:write(text)
  local closed, cerr = f:close()
  if not ok or not closed then
    os.remove(tmp)
    error(string.format("%s: cannot write%s", tmp, cerr and (": " .. cerr) or ""), 0)
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    error(rerr, 0)
  end
end

return files
