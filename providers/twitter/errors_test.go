package twitter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
)

func TestClassify(t *testing.T) {
	now := time.Date(2026, 11, 25, 15, 4, 5, 0, time.UTC)
	reset := now.Add(12 * time.Minute).Truncate(time.Second)
	dayReset := now.Add(9 * time.Hour).Truncate(time.Second)
	unix := func(t time.Time) string { return fmt.Sprint(t.Unix()) }

	type want struct {
		kind    providers.Kind
		reason  providers.Reason
		reset   time.Time
		message string // a substring of Message
	}
	tests := []struct {
		name   string
		op     string
		status int
		header map[string]string
		body   string
		want   want
	}{
		{
			name: "429 with the window reset", op: "publish", status: 429,
			header: map[string]string{"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": unix(reset)},
			body:   `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`,
			want:   want{kind: providers.RateLimited, reset: reset, message: "Too Many Requests"},
		},
		{
			name: "429 with the 24-hour user allowance spent", op: "publish", status: 429,
			header: map[string]string{"x-rate-limit-reset": unix(reset), "x-user-limit-24hour-limit": "17",
				"x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": unix(dayReset)},
			body: `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`,
			want: want{kind: providers.RateLimited, reset: dayReset},
		},
		{
			name: "429 with the 24-hour app allowance spent", op: "publish", status: 429,
			header: map[string]string{"x-app-limit-24hour-remaining": "0", "x-app-limit-24hour-reset": unix(dayReset),
				"x-user-limit-24hour-remaining": "5", "x-user-limit-24hour-reset": unix(dayReset.Add(time.Hour))},
			want: want{kind: providers.RateLimited, reset: dayReset},
		},
		{
			name: "429 from X whose clock is 2 min ahead", op: "publish", status: 429,
			header: map[string]string{"date": now.Add(2 * time.Minute).Format(http.TimeFormat), "x-rate-limit-reset": unix(reset.Add(2 * time.Minute))},
			want:   want{kind: providers.RateLimited, reset: reset},
		},
		{
			name: "429 whose window rolled over before it arrived", op: "publish", status: 429,
			header: map[string]string{"date": now.Format(http.TimeFormat), "x-rate-limit-reset": unix(now.Add(-time.Second))},
			want:   want{kind: providers.RateLimited, reset: now.Add(providers.MinRateLimitWait)},
		},
		{
			name: "429 with only Retry-After", op: "publish", status: 429,
			header: map[string]string{"Retry-After": "90"},
			want:   want{kind: providers.RateLimited, reset: now.Add(90 * time.Second)},
		},
		{
			name: "usage capped monthly, twitter.com type", op: "publish", status: 429,
			body: `{"title":"UsageCapExceeded","detail":"Usage cap exceeded: Monthly product cap","type":"https://api.twitter.com/2/problems/usage-capped","period":"Monthly","scope":"Product"}`,
			want: want{kind: providers.Quota, reset: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), message: "Monthly product cap"},
		},
		{
			name: "usage capped daily, x.com type", op: "publish", status: 429,
			body: `{"title":"UsageCapExceeded","detail":"Usage cap exceeded: Daily account cap","type":"https://api.x.com/2/problems/usage-capped","period":"Daily","scope":"Account"}`,
			want: want{kind: providers.Quota, reset: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)},
		},
		{
			name: "usage capped with the 24-hour reset header", op: "publish", status: 429,
			header: map[string]string{"x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": unix(dayReset)},
			body:   `{"title":"UsageCapExceeded","type":"https://api.x.com/2/problems/usage-capped","period":"Daily"}`,
			want:   want{kind: providers.Quota, reset: dayReset},
		},
		{
			name: "usage capped in an errors array", op: "poll", status: 429,
			body: `{"errors":[{"title":"UsageCapExceeded","type":"https://api.twitter.com/2/problems/usage-capped","period":"Monthly"}]}`,
			want: want{kind: providers.Quota, reset: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		},
		{
			// X answers 402 on pay-per-use when the credits are spent; its
			// body is not documented, so the status alone decides.
			name: "402 credits spent", op: "publish", status: 402,
			body: `{"title":"Payment Required","type":"about:blank","status":402,"detail":"Payment Required"}`,
			want: want{kind: providers.Quota, message: "credits are spent"},
		},
		{
			name: "401 problem", op: "verify", status: 401,
			body: `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`,
			want: want{kind: providers.Auth, message: "Unauthorized"},
		},
		{
			name: "401 v1 invalid token", op: "upload media", status: 401,
			body: `{"errors":[{"code":89,"message":"Invalid or expired token."}]}`,
			want: want{kind: providers.Auth, message: "Invalid or expired token."},
		},
		{
			name: "403 duplicate content", op: "publish", status: 403,
			body: `{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonDuplicate, message: "duplicate content"},
		},
		{
			name: "403 v1 status is a duplicate", op: "publish", status: 403,
			body: `{"errors":[{"code":187,"message":"Status is a duplicate."}]}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonDuplicate},
		},
		{
			name: "403 reply not engaged", op: "publish", status: 403,
			body: `{"detail":"Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.","type":"about:blank","title":"Forbidden","status":403}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonReplyNotAllowed, message: "not allowed"},
		},
		{
			name: "403 replied-to post deleted", op: "publish", status: 403,
			body: `{"detail":"The Tweet you replied to is deleted or not visible to you.","type":"about:blank","title":"Forbidden","status":403}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonReplyNotAllowed},
		},
		{
			name: "400 invalid-request reply to a deleted post", op: "publish", status: 400,
			body: `{"errors":[{"parameters":{},"message":"Your Tweet could not be sent because the replied to is deleted or not visible."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonReplyNotAllowed},
		},
		{
			name: "403 client not enrolled on a poll", op: "poll", status: 403,
			body: `{"client_id":"123","detail":"When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.","registration_url":"https://developer.x.com/en/docs/projects/overview","title":"Client Forbidden","required_enrollment":"Appropriate Level of API Access","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"}`,
			want: want{kind: providers.NotPermitted, reason: providers.ReasonReadDenied, message: readDeniedMessage},
		},
		{
			name: "403 client not enrolled on a poll, x.com type", op: "poll", status: 403,
			body: `{"title":"Client Forbidden","reason":"client-not-enrolled","type":"https://api.x.com/2/problems/client-forbidden"}`,
			want: want{kind: providers.NotPermitted, reason: providers.ReasonReadDenied, message: readDeniedMessage},
		},
		{
			name: "403 v1 subset of endpoints on a fetch", op: "fetch", status: 403,
			body: `{"errors":[{"code":453,"message":"You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints only."}]}`,
			want: want{kind: providers.NotPermitted, reason: providers.ReasonReadDenied},
		},
		{
			name: "403 client forbidden on a publish", op: "publish", status: 403,
			body: `{"title":"Client Forbidden","reason":"client-not-enrolled","type":"https://api.x.com/2/problems/client-forbidden"}`,
			want: want{kind: providers.NotPermitted, message: "client-not-enrolled"},
		},
		{
			name: "403 oauth1 permissions on a publish", op: "publish", status: 403,
			body: `{"title":"Forbidden","detail":"Your client app is not configured with the appropriate oauth1 app permissions for this endpoint.","type":"https://api.twitter.com/2/problems/oauth1-permissions"}`,
			want: want{kind: providers.NotPermitted, message: "oauth1 app permissions"},
		},
		{
			name: "403 edit refused", op: "edit", status: 403,
			body: `{"title":"Forbidden","detail":"You are not permitted to edit this Tweet.","type":"about:blank","status":403}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonEditDenied},
		},
		{
			name: "403 edit window passed", op: "edit", status: 403,
			body: `{"title":"Forbidden","detail":"This Post is no longer editable: the edit window has passed.","type":"about:blank","status":403}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonEditDenied, message: "edit window"},
		},
		{
			name: "403 edit of a deleted post", op: "edit", status: 403,
			body: `{"title":"Forbidden","detail":"You attempted to edit a Tweet that is deleted or not visible to you.","type":"about:blank","status":403}`,
			want: want{kind: providers.NotFound},
		},
		{
			name: "403 duplicate content on an edit", op: "edit", status: 403,
			body: `{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonDuplicate},
		},
		{
			name: "403 other", op: "publish", status: 403,
			body: `{"title":"Forbidden","detail":"You are not permitted to perform this action.","type":"about:blank","status":403}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonInvalid, message: "not permitted to perform this action"},
		},
		{
			name: "400 invalid request with detail", op: "publish", status: 400,
			body: `{"errors":[{"parameters":{"text":["x"]},"message":"Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.x.com/2/problems/invalid-request"}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonInvalid, message: "Tweet text is too long."},
		},
		{
			name: "400 v1 media error", op: "upload media", status: 400,
			body: `{"errors":[{"code":324,"message":"File size exceeds 5242880 bytes."}]}`,
			want: want{kind: providers.Rejected, reason: providers.ReasonInvalid, message: "File size exceeds"},
		},
		{
			name: "404 resource not found", op: "delete", status: 404,
			body: `{"title":"Not Found Error","type":"https://api.twitter.com/2/problems/resource-not-found","detail":"Could not find tweet with id: [1].","resource_type":"tweet","resource_id":"1","parameter":"id","value":"1"}`,
			want: want{kind: providers.NotFound, message: "Could not find tweet"},
		},
		{
			name: "404 without body", op: "fetch", status: 404,
			want: want{kind: providers.NotFound, message: "Not Found"},
		},
		{
			name: "500", op: "publish", status: 500,
			body: `{"title":"Internal Server Error","type":"about:blank","status":500}`,
			want: want{kind: providers.Transient},
		},
		{
			name: "502 HTML page", op: "publish", status: 502,
			body: `<html><body>Bad Gateway</body></html>`,
			want: want{kind: providers.Transient, message: "Bad Gateway"},
		},
		{
			name: "503 service unavailable", op: "poll", status: 503,
			body: `{"title":"Service Unavailable","type":"https://api.x.com/2/problems/resource-unavailable"}`,
			want: want{kind: providers.Transient},
		},
		{
			name: "302 redirect not followed", op: "poll", status: 302,
			want: want{kind: providers.Transient},
		},
	}
	p := &Provider{secrets: testSecrets, now: func() time.Time { return now }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			err := p.classify(tt.op, &http.Response{StatusCode: tt.status, Header: h}, []byte(tt.body), nil)
			e := asError(t, err)
			if e.Kind != tt.want.kind || e.Reason != tt.want.reason {
				t.Errorf("kind %v reason %q, want %v %q (%v)", e.Kind, e.Reason, tt.want.kind, tt.want.reason, e)
			}
			if !e.Reset.Equal(tt.want.reset) {
				t.Errorf("reset %v, want %v", e.Reset, tt.want.reset)
			}
			if !strings.Contains(e.Message, tt.want.message) {
				t.Errorf("message %q does not say %q", e.Message, tt.want.message)
			}
			if e.Network != "twitter" || e.Op != tt.op || e.Status != tt.status {
				t.Errorf("network %q op %q status %d", e.Network, e.Op, e.Status)
			}
		})
	}
}

func TestClassifyScrubsSecrets(t *testing.T) {
	p := &Provider{secrets: testSecrets, now: time.Now}
	body := fmt.Sprintf(`{"errors":[{"code":32,"message":"Could not authenticate you: oauth_signature=%q oauth_token=%s consumer %s secret %s"}]}`,
		"c2lnbmF0dXJl", testToken, testConsumerSecret, url.QueryEscape(testTokenSecret+"/+"))
	p.secrets = append(p.secrets, testTokenSecret+"/+")
	err := p.classify("publish", &http.Response{StatusCode: 401, Header: http.Header{}}, []byte(body), nil)
	noSecret(t, err)
	if strings.Contains(err.Error(), "c2lnbmF0dXJl") {
		t.Errorf("the OAuth signature shows: %v", err)
	}
	if !errors.Is(err, providers.ErrAuth) {
		t.Errorf("err = %v, want Auth", err)
	}
}

func TestClassifyTransportError(t *testing.T) {
	p := &Provider{secrets: testSecrets, now: time.Now}
	inner := &url.Error{Op: "Post", URL: "https://user:" + testConsumerSecret + "@api.x.com/2/tweets?oauth_token=" + testToken,
		Err: context.DeadlineExceeded}
	err := p.classify("publish", nil, nil, inner)
	noSecret(t, err)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
	}
	if !errors.Is(err, providers.ErrTransient) {
		t.Errorf("err = %v, want Transient", err)
	}
	if !strings.Contains(err.Error(), "api.x.com/2/tweets") {
		t.Errorf("err = %v, want it to say where", err)
	}
}

func TestProblemsIn200(t *testing.T) {
	p := &Provider{secrets: testSecrets, now: time.Now}
	err := p.problemsError("fetch", []problem{{Type: "https://api.twitter.com/2/problems/resource-not-found",
		Title: "Not Found Error", Detail: "Could not find tweet with id: [7]."}})
	if !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("err = %v, want NotFound", err)
	}
	err = p.problemsError("fetch", []problem{{Type: "https://api.x.com/2/problems/not-authorized-for-resource",
		Title: "Authorization Error", Detail: "Sorry, you are not authorized to see the Tweet with id: [7]."}})
	if !errors.Is(err, providers.ErrRejected) {
		t.Errorf("err = %v, want Rejected", err)
	}
}

func TestRateLimitRecorded(t *testing.T) {
	p := &Provider{rate: rateState{remaining: -1}}
	if rem, _ := p.RateLimit(); rem != -1 {
		t.Fatalf("remaining before any answer = %d, want -1", rem)
	}
	h := http.Header{}
	h.Set("x-rate-limit-remaining", "99")
	h.Set("x-rate-limit-reset", "1800000000")
	h.Set("x-user-limit-24hour-remaining", "7")
	h.Set("x-user-limit-24hour-reset", "1800050000")
	p.recordRate(h)
	rem, reset := p.RateLimit()
	if rem != 7 || reset.Unix() != 1800050000 {
		t.Errorf("RateLimit = %d, %v; want the tighter 24-hour window: 7, 1800050000", rem, reset.Unix())
	}
	p.recordRate(http.Header{"Content-Type": {"application/json"}})
	if rem, _ := p.RateLimit(); rem != 7 {
		t.Errorf("an answer without rate headers changed the record to %d", rem)
	}
	h = http.Header{}
	h.Set("x-rate-limit-remaining", "3")
	h.Set("x-rate-limit-reset", "1800000100")
	p.recordRate(h)
	if rem, reset := p.RateLimit(); rem != 3 || reset.Unix() != 1800000100 {
		t.Errorf("RateLimit = %d, %v; want 3, 1800000100", rem, reset.Unix())
	}
}
