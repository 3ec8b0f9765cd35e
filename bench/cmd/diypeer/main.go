// Command diypeer is the do-it-yourself check service a team would build
// instead of hush: the same GET/POST /v1/check endpoints in gin, answering
// from suppression lists held as Redis sets — a go-redis pipeline of
// SISMEMBER per list for one check, SMISMEMBER per list for a batch. It
// uses hush's own phone normaliser (faster than the libphonenumber port a
// team would likely use), so the comparison favours the peer. It exists
// only to be measured against (hushbench http).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/hushcrm/hush/contactkey"
)

type check struct {
	Phone   string `json:"phone"`
	Channel string `json:"channel"`
	Purpose string `json:"purpose"`
}

type reason struct {
	Code string `json:"code"`
	List string `json:"list"`
}

type decision struct {
	Allowed bool     `json:"allowed"`
	Reasons []reason `json:"reasons"`
	Key     string   `json:"key"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis address (host:port, or a unix socket path)")
	lists := flag.String("lists", "", "comma-separated Redis set names to check against (required)")
	region := flag.String("region", "US", "default phone region")
	pool := flag.Int("pool", 64, "Redis connection pool size")
	flag.Parse()
	names := strings.Split(*lists, ",")
	if *lists == "" {
		log.Fatal("diypeer: -lists is required")
	}
	n, err := contactkey.NewNormalizer(*region)
	if err != nil {
		log.Fatal(err)
	}
	network := "tcp"
	if strings.HasPrefix(*redisAddr, "/") {
		network = "unix"
	}
	rdb := redis.NewClient(&redis.Options{Network: network, Addr: *redisAddr, PoolSize: *pool})
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		log.Fatalf("diypeer: redis: %v", err)
	}
	r := newRouter(rdb, names, n)
	srv := &http.Server{Addr: *listen, Handler: r, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	fmt.Fprintf(os.Stdout, "{\"listening\":%s}\n", strconv.Quote(*listen))
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

// newRouter is the peer's whole service: what a team would write.
func newRouter(rdb *redis.Client, names []string, n *contactkey.Normalizer) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/v1/check", func(c *gin.Context) {
		q := check{Phone: c.Query("phone"), Channel: c.Query("channel"), Purpose: c.Query("purpose")}
		if q.Phone == "" || q.Channel == "" || q.Purpose == "" {
			c.JSON(400, gin.H{"error": gin.H{"code": "missing_parameter", "message": "phone, channel and purpose are required"}})
			return
		}
		s, err := n.Normalize(contactkey.KindPhone, q.Phone)
		if err != nil {
			c.JSON(200, decision{Reasons: []reason{{Code: "invalid_key"}}})
			return
		}
		member := strings.TrimPrefix(s, "+")
		pipe := rdb.Pipeline()
		cmds := make([]*redis.BoolCmd, len(names))
		for i, l := range names {
			cmds[i] = pipe.SIsMember(c, l, member)
		}
		if _, err := pipe.Exec(c); err != nil {
			c.JSON(503, gin.H{"error": gin.H{"code": "unavailable", "message": err.Error()}})
			return
		}
		d := decision{Allowed: true, Reasons: []reason{}, Key: s}
		for i, cmd := range cmds {
			if cmd.Val() {
				d.Allowed = false
				d.Reasons = append(d.Reasons, reason{Code: "list", List: names[i]})
			}
		}
		c.JSON(200, d)
	})
	r.POST("/v1/check", func(c *gin.Context) {
		var qs []check
		if err := json.NewDecoder(c.Request.Body).Decode(&qs); err != nil {
			c.JSON(400, gin.H{"error": gin.H{"code": "malformed_json", "message": err.Error()}})
			return
		}
		if len(qs) > 10000 {
			c.JSON(413, gin.H{"error": gin.H{"code": "batch_too_large", "message": "at most 10000"}})
			return
		}
		out := make([]decision, len(qs))
		members := make([]any, 0, len(qs))
		idx := make([]int, 0, len(qs))
		for i, q := range qs {
			s, err := n.Normalize(contactkey.KindPhone, q.Phone)
			if err != nil {
				out[i] = decision{Reasons: []reason{{Code: "invalid_key"}}}
				continue
			}
			out[i] = decision{Allowed: true, Reasons: []reason{}, Key: s}
			members = append(members, strings.TrimPrefix(s, "+"))
			idx = append(idx, i)
		}
		if len(members) > 0 {
			pipe := rdb.Pipeline()
			cmds := make([]*redis.BoolSliceCmd, len(names))
			for i, l := range names {
				cmds[i] = pipe.SMIsMember(c, l, members...)
			}
			if _, err := pipe.Exec(c); err != nil {
				c.JSON(503, gin.H{"error": gin.H{"code": "unavailable", "message": err.Error()}})
				return
			}
			for li, cmd := range cmds {
				for j, hit := range cmd.Val() {
					if hit {
						d := &out[idx[j]]
						d.Allowed = false
						d.Reasons = append(d.Reasons, reason{Code: "list", List: names[li]})
					}
				}
			}
		}
		c.JSON(200, gin.H{"results": out})
	})
	return r
}
