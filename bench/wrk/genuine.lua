-- wrk script: Google's notifications for one genuine channel (CHANNEL_ID / CHANNEL_TOKEN from
-- the environment), with message numbers that keep growing, as Google sends them.
local channel = os.getenv("CHANNEL_ID")
local token = os.getenv("CHANNEL_TOKEN")
local number = 1

wrk.method = "POST"
wrk.body = ""

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
