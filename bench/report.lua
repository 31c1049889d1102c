-- wrk script: POST /v1/reports, a different SMS each time (every answer 201 = durable).
local n = 0
local thread_id = 0
local counter = 0

setup = function(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

request = function()
  n = n + 1
  local body = string.format(
    '{"kind":"sms","sender":"NFZ","text":"NFZ: masz zwrot %d-%d zł, potwierdź dane: nfz-zwrot-pl.com"}',
    thread_id, n)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
