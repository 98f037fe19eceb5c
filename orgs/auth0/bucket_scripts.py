"""The Lua scripts behind the shared token buckets (see ratelimit.py).

Each runs atomically in the coordination store, so workers never race between reading a
bucket and taking from it. SLACK is replaced by the idle expiry slack at registration.
"""

CLOCK_SCRIPT = """
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function fmt(x) return string.format('%.6f', x) end
local function load(key, burst, rate, now)
  local h = redis.call('HMGET', key, 'tokens', 'ts', 'paused_until')
  local tokens, ts = tonumber(h[1]), tonumber(h[2])
  if tokens == nil or ts == nil then
    tokens, ts = burst, now  -- a fresh bucket starts full
  end
  if now >= ts then  -- refill up to now; ts > now means paused until ts
    tokens, ts = math.min(burst, tokens + (now - ts) * rate), now
  end
  return tokens, ts, tonumber(h[3]) or 0
end
local function save(key, tokens, ts, paused, burst, rate, now)
  redis.call('HSET', key, 'tokens', fmt(tokens), 'ts', fmt(ts), 'paused_until', fmt(paused))
  local idle = math.max(ts, paused) - now + burst / rate + SLACK
  redis.call('PEXPIRE', key, math.ceil(idle * 1000))
end
"""

# KEYS: bucket hashes..., stats hash. ARGV: now|'', take (1: take, 0: only ask), priority
# (for the counters), then burst, rate, floor, name per bucket. `floor` is what the call
# must leave in the bucket: 0 for interactive calls, the reserve for bulk ones, so bulk
# work can never take the last `floor` tokens but still gets every token above them.
# Returns {1, '0'} when granted (or grantable), else {0, seconds until every bucket holds
# floor + 1 tokens}.
ACQUIRE_SCRIPT = (
    CLOCK_SCRIPT
    + """
local now = clock(ARGV[1])
local n = #KEYS - 1
local ready, level = now, {}
for i = 1, n do
  local at_arg = 4 * i
  local burst, rate = tonumber(ARGV[at_arg]), tonumber(ARGV[at_arg + 1])
  local need = tonumber(ARGV[at_arg + 2]) + 1
  local tokens, ts, paused = load(KEYS[i], burst, rate, now)
  local at = ts
  if tokens < need then at = ts + (need - tokens) / rate end
  if paused > at then at = paused end
  if at > ready then ready = at end
  level[i] = {tokens, paused, burst, rate}
end
if ready > now then return {0, tostring(ready - now)} end
if ARGV[2] ~= '1' then return {1, '0'} end
for i = 1, n do
  local l = level[i]
  save(KEYS[i], l[1] - 1, now, l[2], l[3], l[4], now)
  redis.call('HINCRBY', KEYS[n + 1], 'granted:' .. ARGV[4 * i + 3], 1)
end
redis.call('HINCRBY', KEYS[n + 1], 'granted', 1)
redis.call('HINCRBY', KEYS[n + 1], 'granted_' .. ARGV[3], 1)
return {1, '0'}
"""
)

# KEYS: slot key (one line per bucket and priority). ARGV: now|'', earliest wait (s),
# spacing (s). Returns the absolute time of the next free slot in that line.
SLOT_SCRIPT = (
    CLOCK_SCRIPT
    + """
local now = clock(ARGV[1])
local slot = now + tonumber(ARGV[2])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if last + tonumber(ARGV[3]) > slot then slot = last + tonumber(ARGV[3]) end
redis.call('SET', KEYS[1], fmt(slot), 'PX', math.ceil((slot - now + 60) * 1000))
return fmt(slot)
"""
)

# KEYS: bucket hash, stats hash. ARGV: now|'', burst, rate, remaining|'', limit|'',
# is_429 (1/0), reset|'', default pause, max pause, delay|''. `delay` is reset - Date
# (Auth0's clock): when given, the pause ends `delay` after our now, whatever our clock
# says of the absolute reset. Returns 1 when it lowered or paused.
OBSERVE_SCRIPT = (
    CLOCK_SCRIPT
    + """
local now = clock(ARGV[1])
local burst, rate = tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, ts, paused = load(KEYS[1], burst, rate, now)
local before = tokens
if ARGV[6] == '1' then
  redis.call('HINCRBY', KEYS[2], 'http_429', 1)
  local reset = tonumber(ARGV[7])
  if tonumber(ARGV[10]) ~= nil then reset = now + tonumber(ARGV[10]) end
  reset = reset or (now + tonumber(ARGV[8]))
  reset = math.min(reset, now + tonumber(ARGV[9]))
  if reset > now then
    -- Paused until the reset, when (at least) one token is back. An older 429 with an
    -- earlier reset must not shorten a pause another worker already set.
    if reset > paused and reset > ts then tokens, ts, paused = 1, reset, reset end
  elseif ts <= now then
    tokens = math.min(tokens, 0)
  end
end
if ts <= now then
  local remaining, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
  if remaining ~= nil then tokens = math.min(tokens, remaining) end
  if limit ~= nil then tokens = math.min(tokens, limit) end
end
save(KEYS[1], tokens, ts, paused, burst, rate, now)
if tokens < before or ts > now then
  redis.call('HINCRBY', KEYS[2], 'corrections', 1)
  return 1
end
return 0
"""
)
