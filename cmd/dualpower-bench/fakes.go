package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"time"

	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

// fakesEnv, set in a process's environment, makes the bench binary (or its
// test binary) serve the two fakes instead of benchmarking: the fakes live
// in their own process, so the daemon's RSS, CPU and file descriptors are
// measured alone, and 10,000 streams (two sockets each) fit in the
// per-process descriptor limit.
const fakesEnv = "DUALPOWER_BENCH_FAKES"

// fakesSetup is what the parent asks of the fakes process, as the first
// line of its standard input.
type fakesSetup struct {
	Users int `json:"users"`
}

// fakeUser is one account pair's credentials.
type fakeUser struct {
	MToken   string `json:"m_token"`
	XToken   string `json:"x_token"`
	XSecret  string `json:"x_secret"`
	Username string `json:"username"`
}

// fakesHello is the fakes process's first answer: where the fakes listen
// and every user's credentials.
type fakesHello struct {
	MastodonURL    string     `json:"mastodon_url"`
	XURL           string     `json:"x_url"`
	ConsumerKey    string     `json:"consumer_key"`
	ConsumerSecret string     `json:"consumer_secret"`
	Users          []fakeUser `json:"users"`
	Err            string     `json:"err,omitempty"`
}

// fakesCmd is one command to the fakes process.
type fakesCmd struct {
	Op string `json:"op"` // post, latency, streams, counts, usage
	// post
	OnX   bool   `json:"on_x,omitempty"`
	User  int    `json:"user,omitempty"`
	Text  string `json:"text,omitempty"`
	Media int    `json:"media,omitempty"` // images attached
	// latency
	Latency time.Duration `json:"latency,omitempty"`
	// streams: wait until at least Want are open, or Timeout passes
	Want    int           `json:"want,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// fakesReply is the answer to one command.
type fakesReply struct {
	ID      string         `json:"id,omitempty"`
	Streams int            `json:"streams,omitempty"`
	Counts  map[string]int `json:"counts,omitempty"` // requests by "network METHOD endpoint"
	Usage   *usage         `json:"usage,omitempty"`
	Err     string         `json:"err,omitempty"`
}

// serveFakes is the fakes process: it reads the setup, starts both fakes
// with that many users each, says hello, then answers commands until its
// standard input closes.
func serveFakes(in io.Reader, out io.Writer) error {
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	var setup fakesSetup
	if err := dec.Decode(&setup); err != nil {
		return fmt.Errorf("fakes: setup: %w", err)
	}
	m, err := mastodontest.Start(mastodontest.Options{RateLimit: -1, Log: os.Stderr})
	if err != nil {
		return fmt.Errorf("fakes: %w", err)
	}
	defer m.Close()
	x, err := twittertest.Start(twittertest.Options{UserPostsPer24h: 1 << 30, AppPostsPer24h: 1 << 30, Log: os.Stderr})
	if err != nil {
		return fmt.Errorf("fakes: %w", err)
	}
	defer x.Close()
	// The bench measures the bridge, not X's per-user read window: reading
	// a timeline every second would meet 900 per 15 minutes.
	x.SetRateLimit("GET /2/users/{id}/tweets", 1<<30, 15*time.Minute)
	hello := fakesHello{MastodonURL: m.URL(), XURL: x.URL(), ConsumerKey: x.ConsumerKey(), ConsumerSecret: x.ConsumerSecret()}
	mu := make([]*mastodontest.User, setup.Users)
	xu := make([]*twittertest.User, setup.Users)
	for i := range setup.Users {
		name := fmt.Sprintf("u%05d", i)
		mu[i], xu[i] = m.CreateUser(name), x.CreateUser(name)
		hello.Users = append(hello.Users, fakeUser{MToken: mu[i].Token, XToken: xu[i].Token(), XSecret: xu[i].TokenSecret(), Username: name})
	}
	if err := enc.Encode(hello); err != nil {
		return fmt.Errorf("fakes: hello: %w", err)
	}
	for {
		var c fakesCmd
		if err := dec.Decode(&c); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("fakes: command: %w", err)
		}
		var r fakesReply
		switch c.Op {
		case "post":
			if c.User < 0 || c.User >= setup.Users {
				r.Err = fmt.Sprintf("no user %d", c.User)
				break
			}
			var err error
			if c.OnX {
				xo := twittertest.PostOpts{Text: c.Text}
				for i := range c.Media {
					xo.Media = append(xo.Media, twittertest.MediaOpts{Type: "photo", Data: benchImage, AltText: fmt.Sprintf("image %d", i+1)})
				}
				r.ID, err = xu[c.User].TryPost(xo)
			} else {
				mo := mastodontest.PostOpts{Text: c.Text}
				for i := range c.Media {
					mo.Media = append(mo.Media, mastodontest.MediaOpts{Type: "image", Data: benchImage, ContentType: "image/png", Description: fmt.Sprintf("image %d", i+1)})
				}
				r.ID, err = mu[c.User].TryPost(mo)
			}
			if err != nil {
				r.Err = err.Error()
			}
		case "latency":
			m.SetLatency(c.Latency)
			x.SetLatency(c.Latency)
		case "streams":
			m.WaitStreams(nil, c.Want, c.Timeout)
			r.Streams = m.Streams()
		case "counts":
			r.Counts = requestCounts(m, x)
		case "usage":
			u := readUsage()
			r.Usage = &u
		default:
			r.Err = fmt.Sprintf("unknown op %q", c.Op)
		}
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("fakes: reply: %w", err)
		}
	}
}

// benchImage is the picture attached to posts with --media: a small PNG.
var benchImage = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic("encoding a fixed image: " + err.Error())
	}
	return b.Bytes()
}()

// mastodonIDs turns the IDs in a Mastodon path into ":id", so requests
// group by endpoint.
var mastodonIDs = regexp.MustCompile(`/[0-9]+(/|$)`)

// requestCounts counts the requests each fake received, by endpoint.
func requestCounts(m *mastodontest.Server, x *twittertest.Server) map[string]int {
	out := map[string]int{}
	for k, v := range x.EndpointCounts() {
		out["x "+k] += v
	}
	for _, r := range m.RequestLog() {
		out["mastodon "+r.Method+" "+mastodonIDs.ReplaceAllString(r.Path, "/:id$1")]++
	}
	return out
}

// fakesProc is the parent's handle on the fakes process.
type fakesProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	enc   *json.Encoder
	dec   *json.Decoder
	hello fakesHello

	mu sync.Mutex // one command at a time
}

// startFakes starts the fakes process with users account pairs.
func startFakes(users int, stderr io.Writer) (*fakesProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("fakes: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), fakesEnv+"=1")
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("fakes: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("fakes: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("fakes: %w", err)
	}
	f := &fakesProc{cmd: cmd, stdin: stdin, enc: json.NewEncoder(stdin), dec: json.NewDecoder(bufio.NewReaderSize(stdout, 1<<20))}
	if err := f.enc.Encode(fakesSetup{Users: users}); err != nil {
		f.Close()
		return nil, fmt.Errorf("fakes: setup: %w", err)
	}
	if err := f.dec.Decode(&f.hello); err != nil {
		f.Close()
		return nil, fmt.Errorf("fakes: the fakes process did not start: %w", err)
	}
	if len(f.hello.Users) != users {
		f.Close()
		return nil, fmt.Errorf("fakes: asked for %d users, got %d", users, len(f.hello.Users))
	}
	return f, nil
}

// do sends one command and reads its answer.
func (f *fakesProc) do(c fakesCmd) (fakesReply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var r fakesReply
	if err := f.enc.Encode(c); err != nil {
		return r, fmt.Errorf("fakes: %s: %w", c.Op, err)
	}
	if err := f.dec.Decode(&r); err != nil {
		return r, fmt.Errorf("fakes: %s: %w", c.Op, err)
	}
	if r.Err != "" {
		return r, fmt.Errorf("fakes: %s: %s", c.Op, r.Err)
	}
	return r, nil
}

// Close ends the fakes process: it stops when its input closes.
func (f *fakesProc) Close() error {
	f.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- f.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		f.cmd.Process.Kill()
		return <-done
	}
}
