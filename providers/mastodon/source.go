package mastodon

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	gomasto "github.com/mattn/go-mastodon"
	"github.com/rs/zerolog"

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
// there). An empty cursor reads the newest page only; a
// providers.SinceCursor pages back with max_id to that time (at most
// p.pollPages pages, 1000 statuses; see pollSince). Reposts are included
// with RepostOf set. A forward page that fails after the first ends the poll
// with what was read so far and no error: the next Poll retries from there.
func (p *Provider) Poll(ctx context.Context, cursor string) ([]providers.Event, string, error) {
	me, err := p.me(ctx)
	if err != nil {
		return nil, cursor, err
	}
	dom := p.localDomain()
	if since, ok := providers.ParseSinceCursor(cursor); ok {
		return p.pollSince(ctx, me, dom, cursor, since)
	}
	var events []providers.Event
	next := cursor
	for page := 0; page < max(p.pollPages, 1); page++ {
		raws, err := p.statusesPage(ctx, "poll", me, "min_id", next)
		if err != nil {
			if page == 0 || ctx.Err() != nil {
				return nil, cursor, err
			}
			break
		}
		full := len(raws) >= pageSize
		statuses, ignored := newerThan(decodeStatuses(ctx, raws), next)
		for _, s := range statuses {
			if s.broken {
				next = s.ID // nothing to emit, ever: step over it
				continue
			}
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

// pollSince reads every status made at or after since, paging back from the
// newest with max_id, and returns them oldest first. It reads at most
// p.pollPages pages (1000 statuses by default): a longer history is cut to
// its newest part, and a warning logged. Until a status is found, the next
// cursor is the since cursor.
func (p *Provider) pollSince(ctx context.Context, me account, dom, cursor string, since time.Time) ([]providers.Event, string, error) {
	var newestFirst []status
	maxID := ""
	reachedSince := false
	for page := 0; page < max(p.pollPages, 1); page++ {
		raws, err := p.statusesPage(ctx, "poll", me, "max_id", maxID)
		if err != nil {
			return nil, cursor, err
		}
		statuses := decodeStatuses(ctx, raws)
		for _, s := range statuses {
			switch {
			case s.ID == maxID:
			case s.broken && s.CreatedAt.IsZero():
				// No time to judge by; nothing to emit either.
			case s.CreatedAt.Before(since):
				reachedSince = true
			case !s.broken:
				newestFirst = append(newestFirst, s)
			}
		}
		if reachedSince || len(raws) < pageSize || len(statuses) == 0 {
			reachedSince = true
			break
		}
		maxID = statuses[len(statuses)-1].ID
	}
	if !reachedSince {
		zerolog.Ctx(ctx).Warn().Time("since", since).Int("statuses", len(newestFirst)).
			Msg("mastodon: poll since a time stopped at its page bound; older statuses are not read")
	}
	ordered, _ := newerThan(newestFirst, "")
	events := make([]providers.Event, 0, len(ordered))
	next := cursor
	for _, s := range ordered {
		events = append(events, providers.Event{
			Kind:   providers.Created,
			Ref:    providers.Ref{Account: p.account, ID: s.ID},
			Post:   p.toPost(&s, me, dom),
			Cursor: s.ID,
		})
		next = s.ID
	}
	return events, next, nil
}

// decodeStatuses decodes a page status by status, so that one status a
// server sends in a shape we cannot read does not make the whole page (and
// every later poll) fail. Such a status keeps its ID and creation time,
// marked broken, and is logged.
func decodeStatuses(ctx context.Context, raws []json.RawMessage) []status {
	out := make([]status, 0, len(raws))
	for _, raw := range raws {
		var s status
		err := json.Unmarshal(raw, &s)
		if err == nil {
			out = append(out, s)
			continue
		}
		var head struct {
			ID        gomasto.ID `json:"id"`
			CreatedAt time.Time  `json:"created_at"`
		}
		_ = json.Unmarshal(raw, &head)
		zerolog.Ctx(ctx).Warn().Err(err).Str("status", string(head.ID)).Msg("mastodon: skipping a status that cannot be decoded")
		if head.ID != "" {
			out = append(out, status{ID: string(head.ID), CreatedAt: head.CreatedAt, broken: true})
		}
	}
	return out
}

// statusesPage reads one page of the account's statuses (GET
// /api/v1/accounts/:id/statuses, the server's own order), from the status
// named by param (min_id or max_id) when id is not empty.
func (p *Provider) statusesPage(ctx context.Context, op string, me account, param, id string) ([]json.RawMessage, error) {
	q := url.Values{"limit": {strconv.Itoa(pageSize)}}
	if id != "" {
		q.Set(param, id)
	}
	var raws []json.RawMessage
	if _, err := p.do(ctx, op, http.MethodGet, "/api/v1/accounts/"+url.PathEscape(me.ID)+"/statuses", q, nil, "", &raws); err != nil {
		return nil, err
	}
	return raws, nil
}

// newestPage reads the account's newest page of statuses, oldest first;
// whole says the page holds the whole timeline (it is not full).
func (p *Provider) newestPage(ctx context.Context, op string) (account, []status, bool, error) {
	me, err := p.me(ctx)
	if err != nil {
		return account{}, nil, false, err
	}
	raws, err := p.statusesPage(ctx, op, me, "", "")
	if err != nil {
		return account{}, nil, false, err
	}
	page, _ := newerThan(decodeStatuses(ctx, raws), "")
	return me, page, len(raws) < pageSize, nil
}
