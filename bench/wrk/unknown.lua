-- wrk script: notifications for channel ids nobody opened (forged or long stopped).
wrk.method = "POST"
wrk.body = ""
local number = 0

request = function()
  number = number + 1
  return wrk.format(nil, nil, {
    ["X-Goog-Channel-ID"] = string.format("unknown-%08x-%d", math.random(0, 0x7fffffff), number),
    ["X-Goog-Channel-Token"] = "guessed",
    ["X-Goog-Resource-State"] = "exists",
    ["X-Goog-Message-Number"] = tostring(number),
  })
end
