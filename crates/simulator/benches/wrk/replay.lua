-- Replays pre-signed Twilio webhooks written by `sim-bench requests`
-- (one per line: signature TAB body), cycling through them.
-- Usage: wrk -s replay.lua URL -- FILE THREADS [once]
-- With `once`, each message is sent at most once: a thread that runs out of
-- lines repeats its last one (a duplicate, never a new sender), which the
-- server's outcomes then show. Size the file so it never runs out (run.sh
-- writes more lines than the run can send).
-- Thread i of n sends lines i, i+n, i+2n, ... so threads never send the same message.

local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  local path, threads = args[1], tonumber(args[2] or "1")
  once = args[3] == "once"
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
  if index < #requests then
    index = index + 1
  elseif not once then
    index = 1
  end
  return requests[index]
end
