package mastodontest

import (
	"net/http"
	"net/url"
	"testing"
)

func TestSmoke(t *testing.T) {
	s := New(t, Options{})
	r := do(t, s, http.MethodGet, "/api/v1/accounts/verify_credentials", s.Token(), nil)
	mustStatus(t, r, 200)
	t.Logf("%s", r.body)
	st := postStatus(t, s, s.Token(), url.Values{"status": {"Hello @bob@remote.host #Tag https://example.com/a/very/long/path/that/goes/on/and/on :blobcat:"}})
	t.Logf("%+v", st.Content)
	r = do(t, s, http.MethodGet, "/api/v1/accounts/"+s.AccountID()+"/statuses", "", nil)
	t.Logf("%d %v %s", r.status, r.header, r.body)
}
