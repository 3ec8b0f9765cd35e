package redisstream

import "github.com/redis/go-redis/v9"

// appendScript assigns the next sequence numbers and adds the entries, all
// in one atomic step, so the numbering is dense across every instance that
// appends. KEYS: seq counter, log. ARGV: count1, batch1, count2, batch2...
// It returns the first seq. It writes nothing unless the first XADD
// succeeds, and once it has, the later (bigger) IDs cannot fail, so an
// append is never partly written. A missing counter next to an existing
// log (evicted, deleted) is refused rather than numbering from 1 again.
var appendScript = redis.NewScript(`
local last = redis.call('GET', KEYS[1])
if last then
  last = tonumber(last)
elseif redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('HUSHSEQ the sequence counter ' .. KEYS[1] .. ' is missing but the log ' .. KEYS[2] .. ' exists (evicted or deleted?): refusing to renumber the log')
else
  last = 0
end
local first = last + 1
for i = 1, #ARGV, 2 do
  last = last + tonumber(ARGV[i])
  redis.call('XADD', KEYS[2], string.format('%.0f-%s', last, ARGV[i]), 'b', ARGV[i+1])
end
redis.call('SET', KEYS[1], string.format('%.0f', last))
return first
`)

// trimScript drops the entries whose records are all <= ARGV[1] (what a
// kept snapshot covers) and records where the log now starts. KEYS: log,
// first-seq key, seq counter. It returns the new first seq.
var trimScript = redis.NewScript(`
local covered = tonumber(ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f-0', covered + 1))
local e = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local first
if #e == 0 then
  first = tonumber(redis.call('GET', KEYS[3]) or '0') + 1
else
  local dash = string.find(e[1][1], '-', 1, true)
  first = tonumber(string.sub(e[1][1], 1, dash - 1)) - tonumber(string.sub(e[1][1], dash + 1)) + 1
end
local old = tonumber(redis.call('GET', KEYS[2]) or '1')
if first > old then
  redis.call('SET', KEYS[2], string.format('%.0f', first))
else
  first = old
end
return first
`)

// leaseRenewScript extends the snapshot lease if it is still ours.
// KEYS: lease. ARGV: token, ttl ms.
var leaseRenewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// leaseReleaseScript deletes the lease only if it is still ours.
var leaseReleaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// publishScript makes a written snapshot visible, atomically and only while
// the writer still holds the lease (a writer that lost it, paused past the
// lease's expiry, must not publish over the new holder's work).
// KEYS: lease, snapshot index (sorted set), manifest, chunk 0..n-1.
// ARGV: token, seq, size, sha256, chunk count, generation, written-at.
// The chunks were written with an expiry (a crashed writer leaves no
// garbage); publishing makes them persistent.
var publishScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('HUSHLEASE the snapshot lease was lost before publishing')
end
for i = 4, #KEYS do
  if redis.call('PERSIST', KEYS[i]) == 0 and redis.call('EXISTS', KEYS[i]) == 0 then
    return redis.error_reply('HUSHCHUNK snapshot chunk ' .. KEYS[i] .. ' is missing (expired before publishing?)')
  end
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'seq', ARGV[2], 'size', ARGV[3], 'sha256', ARGV[4], 'chunks', ARGV[5], 'gen', ARGV[6], 'written', ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[2])
return 1
`)
