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

-- Writes text to path.tmp, syncs it and renames it over path (C's
-- atomic_file.h). Errors name the file and the system's reason.
function files.write_atomic(path, text) core.write_file(path, text) end

return files
