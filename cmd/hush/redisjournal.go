package main

import "errors"

// redisJournal is the fleet's log in Redis (journal/redisstream).
type redisJournal struct{}

func (c *cli) openRedisJournal() (*dataJournal, error) {
	return nil, errors.New("redis: journal/redisstream is not in this build yet")
}
