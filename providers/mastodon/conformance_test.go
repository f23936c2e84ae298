package mastodon

import (
	"testing"
	"time"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/mastodon/mastodontest"
	"github.com/dualpower/dualpower/providers/providertest"
)

// newFakeProvider starts a fake server of the flavor and a provider for its
// user alice, with the stream's backoff shortened for tests.
func newFakeProvider(t *testing.T, opt mastodontest.Options) (*Provider, *mastodontest.Server) {
	t.Helper()
	srv := mastodontest.New(t, opt)
	p, err := New(providers.Options{
		Account:    "alice-mastodon",
		Settings:   map[string]string{"server": srv.URL()},
		Secrets:    map[string]providers.Secret{"access_token": providers.Secret(srv.Token())},
		HTTPClient: srv.Client(),
		UserAgent:  "dualpower/test",
	})
	if err != nil {
		t.Fatal(err)
	}
	p.backoffMin, p.backoffMax = 20*time.Millisecond, 200*time.Millisecond
	p.mediaPollMin = 10 * time.Millisecond
	return p, srv
}

func TestConformance(t *testing.T) {
	for _, flavor := range []mastodontest.Flavor{mastodontest.Mastodon, mastodontest.GoToSocial} {
		t.Run(flavor.String(), func(t *testing.T) {
			providertest.Run(t, providertest.Opt{Setup: func(t *testing.T) providertest.Env {
				p, srv := newFakeProvider(t, mastodontest.Options{Flavor: flavor})
				return providertest.Env{
					Provider:         p,
					Fake:             srv,
					Secrets:          []string{srv.Token()},
					Image:            mastodontest.PNG(),
					ImageContentType: "image/png",
				}
			}})
		})
	}
}
