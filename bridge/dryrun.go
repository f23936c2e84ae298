package bridge

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/providers"
)

// dryWriter stands in for a target's writes in a dry run: it logs what
// would be posted, edited, deleted or reposted and answers with made-up
// IDs, so the engine goes through all its steps and the network sees no
// write. Reads (polls, streams, limits) still reach the network.
type dryWriter struct {
	account string
	log     zerolog.Logger
	n       atomic.Int64
}

func (d *dryWriter) id() string { return fmt.Sprintf("dry-run-%s-%d", d.account, d.n.Add(1)) }

func (d *dryWriter) Publish(ctx context.Context, dr providers.Draft) (providers.Published, error) {
	id := d.id()
	ev := d.log.Info().Str("id", id).Str("text", dr.Text).Int("media", len(dr.MediaIDs))
	if dr.ReplyTo != "" {
		ev = ev.Str("reply_to", dr.ReplyTo)
	}
	if dr.ContentWarning != "" {
		ev = ev.Str("content_warning", dr.ContentWarning)
	}
	ev.Msg("dry run: would publish")
	return providers.Published{ID: id}, nil
}

func (d *dryWriter) Edit(ctx context.Context, id string, dr providers.Draft) (providers.Published, error) {
	d.log.Info().Str("id", id).Str("text", dr.Text).Msg("dry run: would edit")
	return providers.Published{ID: id}, nil
}

func (d *dryWriter) Delete(ctx context.Context, id string) error {
	d.log.Info().Str("id", id).Msg("dry run: would delete")
	return nil
}

func (d *dryWriter) Repost(ctx context.Context, id string) error {
	d.log.Info().Str("id", id).Msg("dry run: would repost")
	return nil
}

func (d *dryWriter) Unrepost(ctx context.Context, id string) error {
	d.log.Info().Str("id", id).Msg("dry run: would undo the repost")
	return nil
}

func (d *dryWriter) UploadMedia(ctx context.Context, u providers.Upload) (string, error) {
	n, _ := io.Copy(io.Discard, u.Body)
	id := d.id()
	d.log.Info().Str("id", id).Str("type", string(u.Type)).Int64("bytes", n).Str("alt", strings.TrimSpace(u.Alt)).Msg("dry run: would upload media")
	return id, nil
}

// dryRun replaces an account's write capabilities with a dryWriter.
func (a *account) dryRun() {
	d := &dryWriter{account: a.name, log: a.log.With().Bool("dry_run", true).Logger()}
	if a.caps.Publisher != nil {
		a.caps.Publisher = d
	}
	if a.caps.Editor != nil {
		a.caps.Editor = d
	}
	if a.caps.Deleter != nil {
		a.caps.Deleter = d
	}
	if a.caps.Reposter != nil {
		a.caps.Reposter = d
	}
	if a.caps.Uploader != nil {
		a.caps.Uploader = d
	}
	// Nothing a dry run did can be found on the network.
	a.caps.Reconciler = nil
}
