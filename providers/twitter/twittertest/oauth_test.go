package twittertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dghubble/oauth1"
)

// TestSignatureTwitterExample checks the base string and signature of the
// worked example in X's "Creating a signature" guide.
func TestSignatureTwitterExample(t *testing.T) {
	params := [][2]string{
		{"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
		{"include_entities", "true"},
		{"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
		{"oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
		{"oauth_signature_method", "HMAC-SHA1"},
		{"oauth_timestamp", "1318622958"},
		{"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
		{"oauth_version", "1.0"},
	}
	base := signatureBaseString("post", baseStringURI("HTTPS", "api.twitter.com:443", "/1.1/statuses/update.json"), params)
	const wantBase = "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
	if base != wantBase {
		t.Errorf("base string\n  %s\nwant\n  %s", base, wantBase)
	}
	sig := hmacSHA1Signature(base, "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")
	if want := "hCtSmYh+iHYCEqBWrE7C7hYmtUk="; sig != want {
		t.Errorf("signature %s, want %s", sig, want)
	}
}

// TestSignatureRFC5849Example checks the base string of RFC 5849 section
// 3.4.1.1, built from a real request: repeated and empty parameters, a
// form body, '+' and percent-encoded values, and an Authorization header
// with a realm.
func TestSignatureRFC5849Example(t *testing.T) {
	r, err := http.NewRequest("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", strings.NewReader("c2&a3=2+q"))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	p, err := parseAuthorization(`OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Signature != "bYT5CMsGcbgUdFHObYMEfcx6bsw=" {
		t.Errorf("signature decoded as %q", p.Signature)
	}
	params, err := requestParams(r, p, []byte("c2&a3=2+q"))
	if err != nil {
		t.Fatal(err)
	}
	got := signatureBaseString(r.Method, baseStringURI("http", r.Host, r.URL.EscapedPath()), params)
	const want = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
	if got != want {
		t.Errorf("base string\n  %s\nwant\n  %s", got, want)
	}
}

func TestPercentEncode(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unreserved", "AZaz09-._~", "AZaz09-._~"},
		{"space and plus", "a b+c", "a%20b%2Bc"},
		{"reserved", "!*'();:@&=$,/?#[]", "%21%2A%27%28%29%3B%3A%40%26%3D%24%2C%2F%3F%23%5B%5D"},
		{"utf-8", "☃", "%E2%98%83"},
		{"percent", "100%", "100%25"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentEncode(tc.in); got != tc.want {
				t.Errorf("percentEncode(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestBaseStringURI(t *testing.T) {
	for _, tc := range []struct{ name, scheme, host, path, want string }{
		{"default https port", "HTTPS", "Api.X.com:443", "/2/tweets", "https://api.x.com/2/tweets"},
		{"default http port", "http", "example.com:80", "/r%20v/X", "http://example.com/r%20v/X"},
		{"other port", "http", "127.0.0.1:8080", "/2/users/me", "http://127.0.0.1:8080/2/users/me"},
		{"empty path", "http", "example.com", "", "http://example.com/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := baseStringURI(tc.scheme, tc.host, tc.path); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// tamper is a transport that changes a request after it was signed.
type tamper struct {
	next http.RoundTripper
	f    func(r *http.Request)
}

func (tp tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	tp.f(r)
	return tp.next.RoundTrip(r)
}

// signedClient signs with dghubble/oauth1, then lets f tamper with the
// signed request.
func signedClient(s *Server, ck, cs, tok, ts string, f func(r *http.Request)) *http.Client {
	var base http.RoundTripper = s.Client().Transport
	if f != nil {
		base = tamper{base, f}
	}
	cfg := oauth1.NewConfig(ck, cs)
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: base})
	return cfg.Client(ctx, oauth1.NewToken(tok, ts))
}

const unauthorizedBody = `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`

// TestSignatureRejected sends requests with every kind of bad credential
// or tampering: each answers 401 with X's body, and nothing is created.
func TestSignatureRejected(t *testing.T) {
	s := New(t, Options{})
	other := s.CreateUser("bob")
	mine := s.PostAsUser("a post to read", "")
	theirs := other.Post(PostOpts{Text: "another post"})
	replaceParam := func(name, value string) func(r *http.Request) {
		re := regexp.MustCompile(name + `="[^"]*"`)
		return func(r *http.Request) {
			r.Header.Set("Authorization", re.ReplaceAllString(r.Header.Get("Authorization"), name+`="`+value+`"`))
		}
	}
	for _, tc := range []struct {
		name           string
		ck, cs, tk, ts string
		tamper         func(r *http.Request)
	}{
		{"wrong consumer secret", s.ConsumerKey(), "nope", s.Token(), s.TokenSecret(), nil},
		{"wrong token secret", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), "nope", nil},
		{"another user's secret", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), other.TokenSecret(), nil},
		{"unknown consumer key", "unknown", s.ConsumerSecret(), s.Token(), s.TokenSecret(), nil},
		{"unknown token", s.ConsumerKey(), s.ConsumerSecret(), "123-unknown", s.TokenSecret(), nil},
		{"query changed after signing", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), func(r *http.Request) {
			r.URL.RawQuery = "tweet.fields=text"
		}},
		{"path changed after signing", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), func(r *http.Request) {
			r.URL.Path = "/2/tweets/" + theirs
		}},
		{"method changed after signing", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), func(r *http.Request) {
			r.Method = "DELETE"
		}},
		{"no authorization", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), func(r *http.Request) {
			r.Header.Del("Authorization")
		}},
		{"bearer instead", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer AAAA")
		}},
		{"signature method", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), replaceParam("oauth_signature_method", "PLAINTEXT")},
		{"stale timestamp", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), replaceParam("oauth_timestamp", strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10))},
		{"no nonce", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), replaceParam("oauth_nonce", "")},
		{"garbage header", s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), func(r *http.Request) {
			r.Header.Set("Authorization", `OAuth oauth_consumer_key=unquoted, ="", %zz="x"`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := signedClient(s, tc.ck, tc.cs, tc.tk, tc.ts, tc.tamper)
			resp, err := c.Get(s.URL() + "/2/tweets/" + mine + "?tweet.fields=created_at")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", resp.StatusCode, body)
			}
			sameJSON(t, body, unauthorizedBody)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("Content-Type %q", ct)
			}
			if _, ok := s.Lookup(mine); !ok {
				t.Error("a refused request deleted the post")
			}
		})
	}
	// A changed form body breaks the signature too (form bodies are signed).
	t.Run("form body changed after signing", func(t *testing.T) {
		c := signedClient(s, s.ConsumerKey(), s.ConsumerSecret(), "", "", func(r *http.Request) {
			r.Body = io.NopCloser(strings.NewReader("oauth_callback=evil"))
			r.ContentLength = -1
		})
		resp, err := c.PostForm(s.URL()+"/oauth/request_token", url.Values{"x_auth_access_type": {"write"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
	})
}

// TestSignatureReplay resends a request signed once: the nonce was used.
func TestSignatureReplay(t *testing.T) {
	s := New(t, Options{})
	var saved http.Header
	c := signedClient(s, s.ConsumerKey(), s.ConsumerSecret(), s.Token(), s.TokenSecret(), func(r *http.Request) {
		saved = r.Header.Clone()
	})
	resp, err := c.Get(s.URL() + "/2/users/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", s.URL()+"/2/users/me", nil)
	req.Header = saved
	resp, err = s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed request: %d, want 401", resp.StatusCode)
	}
}

// TestSignedByDghubble sends requests signed by the adapter's library, with
// awkward characters in the query and the JSON body: all pass.
func TestSignedByDghubble(t *testing.T) {
	s := New(t, Options{})
	c := newClient(t, s, s.Alice())
	c.do("GET", "/2/users/me?user.fields=created_at,username", nil).want(t, 200)
	id := c.post(map[string]any{"text": "signed & sealed: 100% ☃ + \"quotes\" ~ https://example.com/a?b=c&d=e f"})
	q := url.Values{"tweet.fields": {"created_at,entities"}, "expansions": {"author_id"}, "max_results": {"5"}}
	a := c.do("GET", "/2/users/"+s.UserID()+"/tweets?"+q.Encode(), nil).want(t, 200)
	if a.str("data", 0, "id") != id {
		t.Errorf("timeline: %s", a.raw)
	}
	c.do("DELETE", "/2/tweets/"+id, nil).want(t, 200)
}

// TestPINFlow runs `dualpower login twitter` against the fake: request
// token, authorize (PIN), access token, then a call with the new token.
func TestPINFlow(t *testing.T) {
	s := New(t, Options{})
	bob := s.CreateUser("bob")
	cfg := &oauth1.Config{
		ConsumerKey: s.ConsumerKey(), ConsumerSecret: s.ConsumerSecret(), CallbackURL: "oob",
		Endpoint: oauth1.Endpoint{
			RequestTokenURL: s.URL() + "/oauth/request_token",
			AuthorizeURL:    s.URL() + "/oauth/authorize",
			AccessTokenURL:  s.URL() + "/oauth/access_token",
		},
	}
	reqTok, reqSec, err := cfg.RequestToken()
	if err != nil {
		t.Fatalf("request token: %v", err)
	}
	authURL, err := cfg.AuthorizationURL(reqTok)
	if err != nil {
		t.Fatal(err)
	}
	// The page shows the PIN, as to a person.
	resp, err := http.Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`<code>(\d+)</code>`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no PIN on the authorize page: %s", page)
	}
	if _, _, err := cfg.AccessToken(reqTok, reqSec, "0000000"); err == nil {
		t.Error("a wrong PIN was accepted")
	}
	pin := s.AuthorizeAs(bob, reqTok)
	if pin != string(m[1]) {
		t.Errorf("Authorize gave PIN %s, the page %s", pin, m[1])
	}
	tok, sec, err := cfg.AccessToken(reqTok, reqSec, pin)
	if err != nil {
		t.Fatalf("access token: %v", err)
	}
	if _, _, err := cfg.AccessToken(reqTok, reqSec, pin); err == nil {
		t.Error("a request token was exchanged twice")
	}
	c := cfg.Client(context.WithValue(context.Background(), oauth1.HTTPClient, s.Client()), oauth1.NewToken(tok, sec))
	resp, err = c.Get(s.URL() + "/2/users/me")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"username":"bob"`) {
		t.Errorf("users/me with the new token: %d %s", resp.StatusCode, body)
	}
	// Revoking bob cuts the new token too.
	s.RevokeUser(bob)
	resp, err = c.Get(s.URL() + "/2/users/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("after revoke: %d", resp.StatusCode)
	}
}

// FuzzParseAuthorization: a hostile header never panics, and a parsed one
// never yields oauth_signature among the signed parameters.
func FuzzParseAuthorization(f *testing.F) {
	f.Add(`OAuth oauth_consumer_key="a", oauth_signature="b%3D"`)
	f.Add(`OAuth realm="", oauth_token="", oauth_nonce="%"`)
	f.Add(`oauth =,,,"`)
	f.Fuzz(func(t *testing.T, h string) {
		p, err := parseAuthorization(h)
		if err != nil {
			return
		}
		for _, kv := range p.all {
			if kv[0] == "oauth_signature" || kv[0] == "realm" {
				t.Fatalf("%s among the signed parameters", kv[0])
			}
		}
		_ = fmt.Sprint(normalizedParams(p.all))
	})
}
