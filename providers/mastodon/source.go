package mastodon

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/dualpower/dualpower/providers"
)

// pageSize is the most statuses Mastodon returns per page of an account's
// statuses.
const pageSize = 40

// Poll returns the account's own statuses newer than cursor, oldest first,
// each as a Created event whose Cursor is its status ID, and the cursor to
// poll from next (cursor itself when nothing is new).
//
// It reads GET /api/v1/accounts/:id/statuses with min_id=cursor (never
// since_id, which GoToSocial ignores), following pages forward while full
// pages come back (at most p.pollPages pages; the next Poll goes on from
// there). An empty cursor reads the newest page only. Reposts are included
// with RepostOf set. A page that fails after the first ends the poll with
// what was read so far and no error: the next Poll retries from there.
func (p *Provider) Poll(ctx context.Context, cursor string) ([]providers.Event, string, error) {
	me, err := p.me(ctx)
	if err != nil {
		return nil, cursor, err
	}
	dom := p.localDomain()
	path := "/api/v1/accounts/" + url.PathEscape(me.ID) + "/statuses"
	var events []providers.Event
	next := cursor
	for page := 0; page < max(p.pollPages, 1); page++ {
		q := url.Values{"limit": {strconv.Itoa(pageSize)}}
		if next != "" {
			q.Set("min_id", next)
		}
		var statuses []status
		if _, err := p.do(ctx, "poll", http.MethodGet, path, q, nil, "", &statuses); err != nil {
			if page == 0 || ctx.Err() != nil {
				return nil, cursor, err
			}
			break
		}
		full := len(statuses) >= pageSize
		statuses, ignored := newerThan(statuses, next)
		for _, s := range statuses {
			events = append(events, providers.Event{
				Kind:   providers.Created,
				Ref:    providers.Ref{Account: p.account, ID: s.ID},
				Post:   p.toPost(&s, me, dom),
				Cursor: s.ID,
			})
			next = s.ID
		}
		if cursor == "" || !full || ignored || len(statuses) == 0 {
			break
		}
	}
	return events, next, nil
}

// newerThan puts a page in oldest-first order (the server's own order,
// newest first, reversed; a page that is plainly oldest first by created_at
// is kept) and drops statuses without an ID, repeats, and — when the server
// ignored min_id and sent the cursor's status itself — the cursor and all
// older ones. ignored reports that last case: paging further cannot help.
func newerThan(page []status, cursor string) (out []status, ignored bool) {
	page = slices.DeleteFunc(page, func(s status) bool { return s.ID == "" })
	if len(page) > 1 && page[0].CreatedAt.Before(page[len(page)-1].CreatedAt) {
		// oldest first already
	} else {
		slices.Reverse(page)
	}
	if cursor != "" {
		if i := slices.IndexFunc(page, func(s status) bool { return s.ID == cursor }); i >= 0 {
			page = page[i+1:]
			ignored = true
		}
	}
	seen := make(map[string]bool, len(page))
	out = page[:0:0]
	for _, s := range page {
		if !seen[s.ID] {
			seen[s.ID] = true
			out = append(out, s)
		}
	}
	return out, ignored
}
