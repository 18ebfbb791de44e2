-- Replays pre-signed Twilio webhooks written by `sim-bench requests`
-- (one per line: signature TAB body), cycling through them.
-- Usage: wrk -s replay.lua URL -- FILE THREADS
-- Thread i of n sends lines i, i+n, i+2n, ... so threads never send the same message.

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  local path, threads = args[1], tonumber(args[2] or "1")
  requests = {}
  local line_number = 0
  for line in io.lines(path) do
    if line_number % threads == id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "/webhooks/twilio", {
        ["X-Twilio-Signature"] = signature,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
    end
    line_number = line_number + 1
  end
  index = 0
end

function request()
  index = index + 1
  if index > #requests then
    index = 1
  end
  return requests[index]
end
