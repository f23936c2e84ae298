package twitter_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/dualpower/dualpower/providers"
	"github.com/dualpower/dualpower/providers/providertest"
	"github.com/dualpower/dualpower/providers/twitter"
	"github.com/dualpower/dualpower/providers/twitter/twittertest"
)

// TestConformance runs the suite every adapter passes against the fake X.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Opt{Setup: func(t *testing.T) providertest.Env {
		fx := twittertest.New(t, twittertest.Options{CanEdit: true})
		return providertest.Env{
			Provider:         newProvider(t, fx, map[string]string{"can_edit": "true"}),
			Fake:             fx,
			Secrets:          []string{fx.ConsumerSecret(), fx.TokenSecret(), fx.ConsumerKey(), fx.Token()},
			Image:            redSquare(t),
			ImageContentType: "image/png",
		}
	}})
}

// newProvider makes a provider for the fake's account alice.
func newProvider(t *testing.T, fx *twittertest.Server, settings map[string]string) *twitter.Provider {
	t.Helper()
	set := map[string]string{"api_base": fx.URL()}
	for k, v := range settings {
		set[k] = v
	}
	p, err := twitter.New(providers.Options{
		Account:  "alice-x",
		Settings: set,
		Secrets: map[string]providers.Secret{
			"consumer_key":        providers.Secret(fx.ConsumerKey()),
			"consumer_secret":     providers.Secret(fx.ConsumerSecret()),
			"access_token":        providers.Secret(fx.Token()),
			"access_token_secret": providers.Secret(fx.TokenSecret()),
		},
		HTTPClient: fx.Client(),
		UserAgent:  "dualpower-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// redSquare is a small valid PNG.
func redSquare(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := 2; x < 6; x++ {
		for y := 2; y < 6; y++ {
			img.Set(x, y, color.RGBA{R: 255, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
