package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// healthcheck asks the running daemon's /healthz whether it is healthy, for
// the container's HEALTHCHECK (the image has no curl). The address is the
// config's http.listen; a listen on every interface (":8080",
// "0.0.0.0:8080", "[::]:8080") is asked on 127.0.0.1, as status does.
//
// It exits 0 when /healthz answers 200 and 1 otherwise: Docker reserves
// exit code 2, so bad usage and a bad config are 1 here too.
func (c *cli) healthcheck(args []string) int {
	fs := c.flags("healthcheck")
	path := configFlag(fs)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if code, ok := parse(fs, args); !ok {
		if code == exitOK {
			return exitOK
		}
		return exitFailure
	}
	if fs.NArg() > 0 {
		return c.fail("healthcheck: unexpected argument %q", fs.Arg(0))
	}
	// As for status, a credential variable unset in this shell is no
	// reason to call the daemon unhealthy.
	cfg, ok := c.statusConfig(*path)
	if !ok {
		return exitFailure
	}
	addr := daemonAddr(cfg.HTTP.Listen)
	if addr == "" {
		return c.fail("healthcheck: %s: http.listen is %q: the daemon serves no /healthz at a known address (off, or port 0)", *path, cfg.HTTP.Listen)
	}
	u := "http://" + addr + "/healthz"
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return c.fail("healthcheck: %v", err)
	}
	req.Header.Set("User-Agent", "dualpower-healthcheck/"+version)
	// Its own transport: no proxy from the environment, no connection kept.
	client := &http.Client{
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return c.fail("healthcheck: %s: no answer within %s", u, *timeout)
		}
		return c.fail("healthcheck: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return c.fail("healthcheck: %s answered %s", u, resp.Status)
	}
	fmt.Fprintf(c.stdout, "healthy: %s answered %s\n", u, resp.Status)
	return exitOK
}
