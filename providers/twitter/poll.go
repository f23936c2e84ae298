package twitter

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/dualpower/dualpower/providers"
)

// The fields every read asks for (names from the spec's
// TweetFieldsParameter, TweetExpansionsParameter, MediaFieldsParameter and
// UserFieldsParameter).
const (
	tweetFields = "created_at,author_id,entities,referenced_tweets,attachments,possibly_sensitive," +
		"edit_history_tweet_ids,conversation_id,in_reply_to_user_id,lang,note_tweet"
	tweetExpansions = "attachments.media_keys,referenced_tweets.id,referenced_tweets.id.author_id"
	mediaFields     = "url,variants,alt_text,type,preview_image_url"
	userFields      = "username"
)

const (
	firstPageSize = 10  // the newest page read with an empty cursor
	catchUpSize   = 100 // the spec's maximum
	// maxPages bounds one catch-up poll (10 000 posts): a server that
	// never stops paginating must not keep us reading forever.
	maxPages = 100
)

func readQuery() url.Values {
	return url.Values{
		"tweet.fields": {tweetFields},
		"expansions":   {tweetExpansions},
		"media.fields": {mediaFields},
		"user.fields":  {userFields},
	}
}

// Poll returns the account's own posts newer than cursor (a post ID),
// oldest first. With an empty cursor it reads only the newest page (10
// posts) to find where to start; with a providers.SinceCursor it reads
// every post made since that time (start_time, then created_at to the
// millisecond). Catching up
// reads at most maxPages pages of 100 (10 000 posts; X's timeline itself
// reaches back 3200); a longer answer is a transient error. A post X says
// was edited (its edit_history_tweet_ids has more than one ID) comes as an
// Edited event whose Ref is the original post and whose Post.Ref is the
// new version.
//
// An app whose access level cannot read timelines gets an *providers.Error
// of kind NotPermitted with ReasonReadDenied: the account can only be a
// target.
func (p *Provider) Poll(ctx context.Context, cursor string) ([]providers.Event, string, error) {
	const op = "poll"
	since, fromTime := providers.ParseSinceCursor(cursor)
	if cursor != "" && !fromTime && !validID(cursor) {
		return nil, cursor, p.badID(op, cursor)
	}
	me, err := p.self(ctx, op)
	if err != nil {
		return nil, cursor, err
	}
	q := readQuery()
	switch {
	case cursor == "":
		q.Set("max_results", strconv.Itoa(firstPageSize))
	case fromTime:
		// Every post since a time: X's start_time, read to the end.
		q.Set("start_time", timeParam(since))
		q.Set("max_results", strconv.Itoa(catchUpSize))
	default:
		q.Set("since_id", cursor)
		q.Set("max_results", strconv.Itoa(catchUpSize))
	}

	var newestFirst []providers.Event
	seenTokens := map[string]bool{}
	for page := 0; ; page++ {
		var r timelineResponse
		if err := p.call(ctx, op, http.MethodGet, "/2/users/"+me.ID+"/tweets", q, nil, &r); err != nil {
			return nil, cursor, err
		}
		if len(r.Data) == 0 && len(r.Errors) > 0 && r.Meta.ResultCount == 0 {
			return nil, cursor, p.problemsError(op, r.Errors)
		}
		c := p.converter(r.Includes)
		for _, t := range r.Data {
			if !validID(t.ID) {
				continue
			}
			ev := c.event(t)
			if fromTime && !ev.Post.Created.IsZero() && ev.Post.Created.Before(since) {
				// start_time counts whole seconds; created_at has
				// milliseconds.
				continue
			}
			newestFirst = append(newestFirst, ev)
		}
		next := r.Meta.NextToken
		if cursor == "" || next == "" || len(r.Data) == 0 {
			break
		}
		if seenTokens[next] || page+1 >= maxPages {
			return nil, cursor, p.malformed(op, "X kept paginating; the timeline could not be read to its end")
		}
		seenTokens[next] = true
		q.Set("pagination_token", next)
	}

	events := make([]providers.Event, 0, len(newestFirst))
	for i := len(newestFirst) - 1; i >= 0; i-- {
		events = append(events, newestFirst[i])
	}
	next := cursor
	if len(events) > 0 {
		next = events[len(events)-1].Cursor
	}
	zerolog.Ctx(ctx).Debug().Str("cursor", cursor).Str("next", next).Int("events", len(events)).Msg("polled")
	return events, next, nil
}

// event makes the event for one tweet of the account's timeline.
func (c *converter) event(t tweet) providers.Event {
	post := c.post(t)
	post.Ref.Account = c.account
	ev := providers.Event{Kind: providers.Created, Ref: post.Ref, Post: post, Cursor: t.ID}
	if len(t.EditHistoryTweetIDs) > 1 && validID(t.EditHistoryTweetIDs[0]) && t.EditHistoryTweetIDs[0] != t.ID {
		ev.Kind = providers.Edited
		ev.Ref = providers.Ref{Account: c.account, ID: t.EditHistoryTweetIDs[0]}
	}
	return ev
}

// Fetch reads post id (GET /2/tweets/:id). A post that does not exist, or
// no longer does, is an *providers.Error of kind NotFound.
func (p *Provider) Fetch(ctx context.Context, id string) (*providers.Post, error) {
	const op = "fetch"
	if !validID(id) {
		return nil, p.badID(op, id)
	}
	// Knowing the account tells self-replies from other replies.
	if _, err := p.self(ctx, op); err != nil {
		return nil, err
	}
	var r tweetResponse
	if err := p.call(ctx, op, http.MethodGet, "/2/tweets/"+id, readQuery(), nil, &r); err != nil {
		return nil, err
	}
	if r.Data == nil || r.Data.ID == "" {
		if len(r.Errors) > 0 {
			return nil, p.problemsError(op, r.Errors)
		}
		return nil, p.malformed(op, "the answer holds no post")
	}
	c := p.converter(r.Includes)
	post := c.convert(*r.Data, c.meID == "" || r.Data.AuthorID == "" || r.Data.AuthorID == c.meID, 1)
	return post, nil
}

// Gone implements providers.Checker with one GET /2/tweets?ids=…: X
// answers the posts that exist in data and a resource-not-found problem
// for each that does not (deleted, or never made). Any other problem (a
// protected or suspended author) does not count as gone. X bills each post
// the answer holds as a read.
func (p *Provider) Gone(ctx context.Context, ids []string) ([]string, error) {
	const op = "check deletes"
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > providers.MaxChecked {
		return nil, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: Name, Op: op,
			Message: fmt.Sprintf("%d IDs; X looks up at most %d at once", len(ids), providers.MaxChecked)}
	}
	asked := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !validID(id) {
			return nil, p.badID(op, id)
		}
		asked[id] = true
	}
	var r timelineResponse
	q := url.Values{"ids": {strings.Join(ids, ",")}}
	if err := p.call(ctx, op, http.MethodGet, "/2/tweets", q, nil, &r); err != nil {
		return nil, err
	}
	var gone []string
	for _, pr := range r.Errors {
		id := pr.ResourceID
		if strings.HasSuffix(pr.Type, "/resource-not-found") && pr.ResourceType == "tweet" && asked[id] {
			gone = append(gone, id)
			delete(asked, id) // once
		}
	}
	return gone, nil
}

// timeParam formats t the way the spec's start_time wants it.
func timeParam(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
