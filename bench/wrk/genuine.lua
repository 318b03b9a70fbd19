-- wrk script: Google's notifications for one genuine channel (CHANNEL_ID / CHANNEL_TOKEN from
-- the environment), with message numbers that keep growing, as Google sends them.
--
-- With PACE_MS set, each connection waits a random time (exponential, PACE_MS on average)
-- before each request, so the connections together send at a steady rate, at random moments,
-- as notifications from many calendars arrive. wrk times each request from its sending: the
-- wait is not counted as latency.
local channel = os.getenv("CHANNEL_ID")
local token = os.getenv("CHANNEL_TOKEN")
local pace = tonumber(os.getenv("PACE_MS") or "")
local number = 1

wrk.method = "POST"
wrk.body = ""

-- Each thread draws its own random waits (the same seed would keep the threads in step).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

function init(args)
  math.randomseed(seed or 1)
end

if pace then
  function delay()
    return -pace * math.log(1 - math.random())
  end
end

request = function()
  number = number + 1
  return wrk.format(nil, nil, {
    ["X-Goog-Channel-ID"] = channel,
    ["X-Goog-Channel-Token"] = token,
    ["X-Goog-Resource-ID"] = "bench-resource",
    ["X-Goog-Resource-State"] = "exists",
    ["X-Goog-Message-Number"] = tostring(number),
  })
end
