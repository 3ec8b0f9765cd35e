package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Server is the configuration of `hush serve`, on top of Config. It is
// loaded from a YAML file, then HUSH_* environment variables, then flags
// (each overriding the one before), and validated before the server starts.
type Server struct {
	// Listen is the address to listen on (host:port, ":8080").
	Listen string
	// PublicURL is the address clients reach the server by
	// (https://hush.example.com): the base of unsubscribe links and the
	// URL an SMS gateway signs. Empty: http://<listen>.
	PublicURL string
	// AdvertiseURL (advertise_url, HUSH_ADVERTISE_URL, --advertise-url)
	// is where the other instances of a fleet reach this one directly, not
	// through the load balancer: they pass it the requests for its jobs.
	// Empty: http://<this host's name>:<listen port> (the bound address
	// when listening on a given IP).
	AdvertiseURL string

	MaxBodyBytes   int64 // JSON/form bodies (a batch of 10,000 checks is ~1 MiB)
	MaxUploadBytes int64 // streamed uploads (imports, scrubs)
	MaxBatch       int   // checks in one POST /v1/check
	MaxInFlight    int   // concurrent requests before 429
	MaxJobs        int   // imports and scrubs running at once before 429

	ReadHeaderTimeout time.Duration // slow clients: time to send the request head
	RequestTimeout    time.Duration // time to send a (non-upload) body and read the answer
	UploadIdleTimeout time.Duration // an upload that sends nothing for this long is cut
	IdleTimeout       time.Duration // keep-alive connections without requests
	ShutdownTimeout   time.Duration // graceful shutdown waits this long for in-flight requests
	JobRetention      time.Duration // finished jobs (and scrub outputs) are kept this long

	SMSAuthToken  string // gateway auth token; when set, requests must carry a valid X-Twilio-Signature
	SMSWebhookURL string // the exact URL the gateway posts to (default PublicURL + /v1/inbound/sms)
	SMSHelpText   string // answer to HELP / INFO
	SMSStopText   string // answer to STOP and its synonyms
	SMSStartText  string // answer to START / UNSTOP / YES

	// RFMRefresh is a cron schedule (robfig/cron: minute hour dom month
	// dow, or @daily...) on which the server re-scores the stored
	// purchases as of that day and swaps the published segments and
	// indexes atomically; empty: never (the first report scores on demand).
	RFMRefresh string
	// RFMK is the smallest group an RFM report shows exactly (k-anonymity);
	// smaller groups read "<k".
	RFMK int

	// Purchases is ingest.purchases: purchase events consumed from a
	// Redis stream (Redis mode only).
	Purchases PurchaseStream

	// ScheduleCampaigns (campaigns.schedule, HUSH_SCHEDULE_CAMPAIGNS,
	// --schedule-campaigns) runs scheduled campaigns on this instance. Nil:
	// yes. In Redis mode the instances that take part hold the schedule
	// one at a time through a lease (cmd/hush campaign_jobs.go), so each
	// due run happens once; false keeps an instance out of it.
	ScheduleCampaigns *bool
}

// ServerDefaults are the serve settings used when nothing else is said.
func ServerDefaults() Server {
	return Server{
		Listen:            ":8080",
		MaxBodyBytes:      4 << 20,
		MaxUploadBytes:    64 << 30,
		MaxBatch:          10000,
		MaxInFlight:       4096,
		MaxJobs:           2,
		ReadHeaderTimeout: 5 * time.Second,
		RequestTimeout:    30 * time.Second,
		UploadIdleTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ShutdownTimeout:   30 * time.Second,
		JobRetention:      24 * time.Hour,
		SMSHelpText:       "Reply STOP to stop messages, START to receive them again.",
		SMSStopText:       "You are unsubscribed and will receive no more messages. Reply START to resubscribe.",
		SMSStartText:      "You are subscribed again. Reply STOP to unsubscribe.",
		RFMK:              10,
	}
}

// fileConfig is the YAML shape. Sizes and durations are strings ("4MiB",
// "30s") so the file reads the way people write them.
type fileConfig struct {
	Data      string `yaml:"data"`
	Region    string `yaml:"region"`
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
	Advertise string `yaml:"advertise_url"`
	Limits    struct {
		MaxBodyBytes   string `yaml:"max_body_bytes"`
		MaxUploadBytes string `yaml:"max_upload_bytes"`
		MaxBatch       *int   `yaml:"max_batch"`
		MaxInFlight    *int   `yaml:"max_in_flight"`
		MaxJobs        *int   `yaml:"max_jobs"`
	} `yaml:"limits"`
	Timeouts struct {
		ReadHeader string `yaml:"read_header"`
		Request    string `yaml:"request"`
		UploadIdle string `yaml:"upload_idle"`
		Idle       string `yaml:"idle"`
		Shutdown   string `yaml:"shutdown"`
	} `yaml:"timeouts"`
	Jobs struct {
		Retention string `yaml:"retention"`
	} `yaml:"jobs"`
	RFM struct {
		Refresh string `yaml:"refresh"`
		K       *int   `yaml:"k"`
	} `yaml:"rfm"`
	Campaigns struct {
		Schedule *bool `yaml:"schedule"`
	} `yaml:"campaigns"`
	Redis struct {
		URL      string `yaml:"url"`
		Sentinel struct {
			Master string   `yaml:"master"`
			Addrs  []string `yaml:"addrs"`
		} `yaml:"sentinel"`
		Cluster struct {
			Addrs []string `yaml:"addrs"`
		} `yaml:"cluster"`
		Username     string `yaml:"username"`
		Password     string `yaml:"password"`
		PasswordFile string `yaml:"password_file"`
		TLS          struct {
			CA                 string `yaml:"ca"`
			Cert               string `yaml:"cert"`
			Key                string `yaml:"key"`
			ServerName         string `yaml:"server_name"`
			InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
		} `yaml:"tls"`
		Namespace    string `yaml:"namespace"`
		WaitReplicas *int   `yaml:"wait_replicas"`
		WaitTimeout  string `yaml:"wait_timeout"`
	} `yaml:"redis"`
	MaxStaleness string `yaml:"max_staleness"`
	SecretFile   string `yaml:"secret_file"`
	Ingest       struct {
		Purchases struct {
			Stream     string `yaml:"stream"`
			Group      string `yaml:"group"`
			Consumer   string `yaml:"consumer"`
			DeadLetter string `yaml:"dead_letter"`
			Currency   string `yaml:"currency"`
			Batch      *int   `yaml:"batch"`
		} `yaml:"purchases"`
	} `yaml:"ingest"`
	SMS struct {
		AuthToken  string `yaml:"auth_token"`
		WebhookURL string `yaml:"webhook_url"`
		HelpText   string `yaml:"help_text"`
		StopText   string `yaml:"stop_text"`
		StartText  string `yaml:"start_text"`
	} `yaml:"sms"`
}

// LoadServerFile overlays the YAML file at path on c and s. Unknown keys
// are errors (a typo must not silently leave a default in force).
func LoadServerFile(path string, c *Config, s *Server) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: config file: %w", ErrInvalid, err)
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) { // an empty file is fine
		return fmt.Errorf("%w: config file %s: %v", ErrInvalid, path, err)
	}
	setStr := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setStr(&c.DataDir, fc.Data)
	setStr(&c.Region, fc.Region)
	setStr(&s.Listen, fc.Listen)
	setStr(&s.PublicURL, fc.PublicURL)
	setStr(&s.AdvertiseURL, fc.Advertise)
	setStr(&s.SMSAuthToken, fc.SMS.AuthToken)
	setStr(&s.SMSWebhookURL, fc.SMS.WebhookURL)
	setStr(&s.SMSHelpText, fc.SMS.HelpText)
	setStr(&s.SMSStopText, fc.SMS.StopText)
	setStr(&s.SMSStartText, fc.SMS.StartText)
	setStr(&s.RFMRefresh, fc.RFM.Refresh)
	if fc.RFM.K != nil {
		s.RFMK = *fc.RFM.K
	}
	if fc.Campaigns.Schedule != nil {
		s.ScheduleCampaigns = fc.Campaigns.Schedule
	}
	r := &c.Redis
	setStr(&r.URL, fc.Redis.URL)
	setStr(&r.SentinelMaster, fc.Redis.Sentinel.Master)
	if len(fc.Redis.Sentinel.Addrs) > 0 {
		r.SentinelAddrs = fc.Redis.Sentinel.Addrs
	}
	if len(fc.Redis.Cluster.Addrs) > 0 {
		r.ClusterAddrs = fc.Redis.Cluster.Addrs
	}
	setStr(&r.Username, fc.Redis.Username)
	setStr(&r.Password, fc.Redis.Password)
	setStr(&r.PasswordFile, fc.Redis.PasswordFile)
	setStr(&r.TLSCAFile, fc.Redis.TLS.CA)
	setStr(&r.TLSCertFile, fc.Redis.TLS.Cert)
	setStr(&r.TLSKeyFile, fc.Redis.TLS.Key)
	setStr(&r.TLSServerName, fc.Redis.TLS.ServerName)
	if fc.Redis.TLS.InsecureSkipVerify {
		r.TLSInsecureSkipVerify = true
	}
	setStr(&r.Namespace, fc.Redis.Namespace)
	if fc.Redis.WaitReplicas != nil {
		r.WaitReplicas = *fc.Redis.WaitReplicas
	}
	setStr(&c.SecretFile, fc.SecretFile)
	ps := &s.Purchases
	setStr(&ps.Stream, fc.Ingest.Purchases.Stream)
	setStr(&ps.Group, fc.Ingest.Purchases.Group)
	setStr(&ps.Consumer, fc.Ingest.Purchases.Consumer)
	setStr(&ps.DeadLetter, fc.Ingest.Purchases.DeadLetter)
	setStr(&ps.Currency, fc.Ingest.Purchases.Currency)
	if fc.Ingest.Purchases.Batch != nil {
		ps.Batch = *fc.Ingest.Purchases.Batch
	}
	for _, b := range []struct {
		key string
		v   string
		dst *int64
	}{{"limits.max_body_bytes", fc.Limits.MaxBodyBytes, &s.MaxBodyBytes}, {"limits.max_upload_bytes", fc.Limits.MaxUploadBytes, &s.MaxUploadBytes}} {
		if b.v == "" {
			continue
		}
		n, err := parseBytes(b.v)
		if err != nil {
			return fmt.Errorf("%w: config file %s: %s %q: %v", ErrInvalid, path, b.key, b.v, err)
		}
		*b.dst = n
	}
	for _, i := range []struct {
		v   *int
		dst *int
	}{{fc.Limits.MaxBatch, &s.MaxBatch}, {fc.Limits.MaxInFlight, &s.MaxInFlight}, {fc.Limits.MaxJobs, &s.MaxJobs}} {
		if i.v != nil {
			*i.dst = *i.v
		}
	}
	for _, d := range []struct {
		key string
		v   string
		dst *time.Duration
	}{
		{"timeouts.read_header", fc.Timeouts.ReadHeader, &s.ReadHeaderTimeout},
		{"timeouts.request", fc.Timeouts.Request, &s.RequestTimeout},
		{"timeouts.upload_idle", fc.Timeouts.UploadIdle, &s.UploadIdleTimeout},
		{"timeouts.idle", fc.Timeouts.Idle, &s.IdleTimeout},
		{"timeouts.shutdown", fc.Timeouts.Shutdown, &s.ShutdownTimeout},
		{"jobs.retention", fc.Jobs.Retention, &s.JobRetention},
		{"redis.wait_timeout", fc.Redis.WaitTimeout, &c.Redis.WaitTimeout},
		{"max_staleness", fc.MaxStaleness, &c.MaxStaleness},
	} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil {
			return fmt.Errorf("%w: config file %s: %s %q: want a duration such as 30s", ErrInvalid, path, d.key, d.v)
		}
		*d.dst = v
	}
	return nil
}

// FromEnv overlays HUSH_LISTEN, HUSH_PUBLIC_URL, HUSH_MAX_BODY_BYTES,
// HUSH_MAX_UPLOAD_BYTES, HUSH_MAX_BATCH, HUSH_MAX_IN_FLIGHT, HUSH_MAX_JOBS,
// HUSH_SMS_AUTH_TOKEN, HUSH_SMS_WEBHOOK_URL, HUSH_SMS_HELP_TEXT and
// HUSH_SHUTDOWN_TIMEOUT on s.
func (s *Server) FromEnv(lookup func(string) (string, bool)) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	str := map[string]*string{
		"HUSH_LISTEN": &s.Listen, "HUSH_PUBLIC_URL": &s.PublicURL, "HUSH_ADVERTISE_URL": &s.AdvertiseURL, "HUSH_SMS_AUTH_TOKEN": &s.SMSAuthToken,
		"HUSH_SMS_WEBHOOK_URL": &s.SMSWebhookURL, "HUSH_SMS_HELP_TEXT": &s.SMSHelpText,
		"HUSH_RFM_REFRESH": &s.RFMRefresh,
	}
	for k, dst := range str {
		if v, ok := lookup(k); ok && v != "" {
			*dst = v
		}
	}
	for k, dst := range map[string]*int64{"HUSH_MAX_BODY_BYTES": &s.MaxBodyBytes, "HUSH_MAX_UPLOAD_BYTES": &s.MaxUploadBytes} {
		if v, ok := lookup(k); ok && v != "" {
			n, err := parseBytes(v)
			if err != nil {
				return fmt.Errorf("%w: %s=%q: %v", ErrInvalid, k, v, err)
			}
			*dst = n
		}
	}
	for k, dst := range map[string]*int{"HUSH_MAX_BATCH": &s.MaxBatch, "HUSH_MAX_IN_FLIGHT": &s.MaxInFlight, "HUSH_MAX_JOBS": &s.MaxJobs, "HUSH_RFM_K": &s.RFMK} {
		if v, ok := lookup(k); ok && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%w: %s=%q: want a whole number", ErrInvalid, k, v)
			}
			*dst = n
		}
	}
	if v, ok := lookup("HUSH_SHUTDOWN_TIMEOUT"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%w: HUSH_SHUTDOWN_TIMEOUT=%q: want a duration such as 30s", ErrInvalid, v)
		}
		s.ShutdownTimeout = d
	}
	if v, ok := lookup("HUSH_SCHEDULE_CAMPAIGNS"); ok && v != "" {
		switch strings.ToLower(v) {
		case "1", "true", "yes":
			t := true
			s.ScheduleCampaigns = &t
		case "0", "false", "no":
			f := false
			s.ScheduleCampaigns = &f
		default:
			return fmt.Errorf("%w: HUSH_SCHEDULE_CAMPAIGNS=%q: want true or false", ErrInvalid, v)
		}
	}
	return s.Purchases.fromEnv(lookup)
}

// Validate checks the serve settings and fills PublicURL and SMSWebhookURL.
func (s *Server) Validate() error {
	host, port, err := net.SplitHostPort(s.Listen)
	if err != nil {
		return fmt.Errorf("%w: --listen %q: want host:port or :port (%v)", ErrInvalid, s.Listen, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%w: --listen %q: port %q is not a number in 0..65535", ErrInvalid, s.Listen, port)
	}
	if s.PublicURL == "" {
		if host == "" {
			host = "localhost"
		}
		s.PublicURL = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(s.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: public_url %q: want an absolute http(s) URL", ErrInvalid, s.PublicURL)
	}
	s.PublicURL = strings.TrimSuffix(s.PublicURL, "/")
	if s.AdvertiseURL != "" {
		u, err := url.Parse(s.AdvertiseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("%w: advertise_url %q: want http(s)://host:port of this instance, no path", ErrInvalid, s.AdvertiseURL)
		}
		s.AdvertiseURL = strings.TrimSuffix(s.AdvertiseURL, "/")
	}
	if s.SMSWebhookURL == "" {
		s.SMSWebhookURL = s.PublicURL + "/v1/inbound/sms"
	}
	checks := []struct {
		ok  bool
		msg string
	}{
		{s.MaxBodyBytes >= 1<<10, fmt.Sprintf("max_body_bytes %d is below 1 KiB", s.MaxBodyBytes)},
		{s.MaxUploadBytes >= 1<<10, fmt.Sprintf("max_upload_bytes %d is below 1 KiB", s.MaxUploadBytes)},
		{s.MaxBatch >= 1 && s.MaxBatch <= 1_000_000, fmt.Sprintf("max_batch %d: want 1..1000000", s.MaxBatch)},
		{s.MaxInFlight >= 1, fmt.Sprintf("max_in_flight %d: want at least 1", s.MaxInFlight)},
		{s.MaxJobs >= 1, fmt.Sprintf("max_jobs %d: want at least 1", s.MaxJobs)},
		{s.ReadHeaderTimeout > 0, "timeouts.read_header must be positive"},
		{s.RequestTimeout > 0, "timeouts.request must be positive"},
		{s.UploadIdleTimeout > 0, "timeouts.upload_idle must be positive"},
		{s.IdleTimeout > 0, "timeouts.idle must be positive"},
		{s.ShutdownTimeout > 0, "timeouts.shutdown must be positive"},
		{s.JobRetention > 0, "jobs.retention must be positive"},
		{s.SMSHelpText != "", "sms.help_text must not be empty"},
		{s.RFMK >= 2, fmt.Sprintf("rfm.k %d: want at least 2", s.RFMK)},
	}
	for _, c := range checks {
		if !c.ok {
			return fmt.Errorf("%w: %s", ErrInvalid, c.msg)
		}
	}
	if s.RFMRefresh != "" {
		if _, err := cron.ParseStandard(s.RFMRefresh); err != nil {
			return fmt.Errorf("%w: rfm.refresh %q: %v", ErrInvalid, s.RFMRefresh, err)
		}
	}
	return nil
}
