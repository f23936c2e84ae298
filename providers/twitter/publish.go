package twitter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/dualpower/dualpower/providers"
)

// Publish creates a post (POST /2/tweets) with d's text, reply parent and
// media.
//
// Before anything is sent, the last guard: a text that would mention (and
// so notify) an X user not listed in d.Mentions is refused with a
// Rejected/ReasonInvalid error.
//
// X has no content warning and no sensitive flag in the v2 create request:
// the engine renders a warning into the text ("CW: …") and
// d.ContentWarning is ignored; d.Sensitive marks each of d.MediaIDs with
// X's sensitive-media warning (POST /2/media/metadata, "other") before the
// post is made, which X shows as possibly sensitive. Posts are public
// (d.Visibility is ignored) and X detects the language itself (d.Language
// is ignored). X deduplicates by content, not by key, so d.Key is not sent;
// FindPublished and the duplicate-content rejection make retries safe.
func (p *Provider) Publish(ctx context.Context, d providers.Draft) (providers.Published, error) {
	return p.create(ctx, "publish", "", d)
}

// Edit replaces post id (POST /2/tweets with edit_options.previous_post_id)
// and returns the new version's ID: on X an edit is a new post. Accounts
// that cannot edit (the can_edit setting is not "true") get a
// NotPermitted/ReasonEditDenied error without a request. The reply parent
// of a post cannot change, so d.ReplyTo is not sent; new alt texts in
// d.Media are set on d.MediaIDs first.
func (p *Provider) Edit(ctx context.Context, id string, d providers.Draft) (providers.Published, error) {
	const op = "edit"
	if !p.canEdit {
		return providers.Published{}, &providers.Error{Kind: providers.NotPermitted, Reason: providers.ReasonEditDenied,
			Network: Name, Op: op, Message: "this X account cannot edit posts (set can_edit: true for an eligible account)"}
	}
	if !validID(id) {
		return providers.Published{}, p.badID(op, id)
	}
	pub, err := p.create(ctx, op, id, d)
	if err == nil || !errors.Is(err, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonEditDenied}) {
		return pub, err
	}
	// X edits only a post's latest version. When id has a newer one, an
	// earlier attempt of this edit may have made it and lost the answer:
	// that version is the result if it says what d says; else the edit
	// goes to it. Reads are spent only on this path.
	latest, text, lerr := p.latestVersion(ctx, op, id)
	if lerr != nil || latest == id {
		return providers.Published{}, err
	}
	if comparable(text) == comparable(d.Text) {
		return providers.Published{ID: latest, URL: statusURL(p.username(), latest)}, nil
	}
	return p.create(ctx, op, latest, d)
}

// latestVersion returns the newest version of post id (the last of its
// edit_history_tweet_ids) and that version's text.
func (p *Provider) latestVersion(ctx context.Context, op, id string) (string, string, error) {
	var r tweetResponse
	if err := p.call(ctx, op, http.MethodGet, "/2/tweets/"+id, readQuery(), nil, &r); err != nil {
		return "", "", err
	}
	if r.Data == nil || len(r.Data.EditHistoryTweetIDs) == 0 {
		return "", "", p.malformed(op, "the answer holds no edit history")
	}
	latest := r.Data.EditHistoryTweetIDs[len(r.Data.EditHistoryTweetIDs)-1]
	if !validID(latest) {
		return "", "", p.malformed(op, "the edit history holds a malformed ID")
	}
	if latest == id {
		return id, r.Data.Text, nil
	}
	var l tweetResponse
	if err := p.call(ctx, op, http.MethodGet, "/2/tweets/"+latest, readQuery(), nil, &l); err != nil {
		return "", "", err
	}
	if l.Data == nil || l.Data.ID != latest {
		return "", "", p.malformed(op, "the answer holds no post")
	}
	return latest, p.converter(l.Includes).post(*l.Data).Text, nil
}

func (p *Provider) create(ctx context.Context, op, previous string, d providers.Draft) (providers.Published, error) {
	if err := p.guard(op, d); err != nil {
		return providers.Published{}, err
	}
	req := createRequest{Text: d.Text}
	if len(d.MediaIDs) > 0 {
		req.Media = &createMedia{MediaIDs: d.MediaIDs}
	}
	if previous != "" {
		req.EditOptions = &createEditOpt{PreviousPostID: previous}
	} else if d.ReplyTo != "" {
		req.Reply = &createReply{InReplyToTweetID: d.ReplyTo}
	}
	for i, id := range d.MediaIDs {
		alt := ""
		if previous != "" && i < len(d.Media) {
			alt = d.Media[i].Alt
		}
		if err := p.setMetadata(ctx, op, id, alt, d.Sensitive); err != nil {
			return providers.Published{}, err
		}
	}
	var r createResponse
	if err := p.call(ctx, op, http.MethodPost, "/2/tweets", nil, req, &r); err != nil {
		return providers.Published{}, err
	}
	if r.Data == nil || !validID(r.Data.ID) {
		if len(r.Errors) > 0 {
			return providers.Published{}, p.problemsError(op, r.Errors)
		}
		return providers.Published{}, p.malformed(op, "the answer holds no post ID")
	}
	return providers.Published{ID: r.Data.ID, URL: statusURL(p.username(), r.Data.ID)}, nil
}

// guard checks a draft before anything is sent: well-formed IDs, no more
// media than X takes, and no mention that was not meant.
func (p *Provider) guard(op string, d providers.Draft) error {
	reject := func(format string, args ...any) error {
		return &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: Name, Op: op,
			Message: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(d.Text) == "" && len(d.MediaIDs) == 0 {
		return reject("a post needs text or media")
	}
	if d.ReplyTo != "" && !validID(d.ReplyTo) {
		return p.badID(op, d.ReplyTo)
	}
	if len(d.MediaIDs) > maxMedia {
		return reject("%d media, X takes at most %d", len(d.MediaIDs), maxMedia)
	}
	for _, id := range d.MediaIDs {
		if !validID(id) {
			return reject("%q is not an X media ID", truncate(id, 40))
		}
	}
	allowed := make(map[string]bool, len(d.Mentions))
	for _, h := range d.Mentions {
		allowed[strings.ToLower(strings.TrimPrefix(h, "@"))] = true
	}
	var unmeant []string
	for _, h := range extractMentions(d.Text) {
		if !allowed[strings.ToLower(h)] {
			unmeant = append(unmeant, "@"+h)
		}
	}
	if len(unmeant) > 0 {
		return reject("the text would mention %s, not listed as meant to be mentioned; nothing was sent", strings.Join(unmeant, ", "))
	}
	return nil
}

// Delete removes post id (DELETE /2/tweets/:id). A post that is already
// gone is success.
func (p *Provider) Delete(ctx context.Context, id string) error {
	const op = "delete"
	if !validID(id) {
		return p.badID(op, id)
	}
	var r deleteResponse
	err := p.call(ctx, op, http.MethodDelete, "/2/tweets/"+id, nil, nil, &r)
	if errors.Is(err, providers.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if r.Data != nil && r.Data.Deleted {
		return nil
	}
	if len(r.Errors) > 0 {
		if err := p.problemsError(op, r.Errors); !errors.Is(err, providers.ErrNotFound) {
			return err
		}
		return nil
	}
	return p.malformed(op, "X did not say the post was deleted")
}

// Repost retweets post id on this account (POST /2/users/:id/retweets).
// Retweeting what the account already retweeted is success.
func (p *Provider) Repost(ctx context.Context, id string) error {
	const op = "repost"
	if !validID(id) {
		return p.badID(op, id)
	}
	err := p.retweetCall(ctx, op, http.MethodPost, "", retweetRequest{TweetID: id}, "the answer does not say the post was reposted")
	var pe *providers.Error
	if errors.As(err, &pe) && pe.Kind == providers.Rejected && alreadyReposted(pe) {
		return nil
	}
	return err
}

// Unrepost undoes the account's retweet of post id (DELETE
// /2/users/:id/retweets/:source_tweet_id). X answers retweeted: false
// whether or not it was retweeted; a post that is gone is success too.
func (p *Provider) Unrepost(ctx context.Context, id string) error {
	const op = "unrepost"
	if !validID(id) {
		return p.badID(op, id)
	}
	err := p.retweetCall(ctx, op, http.MethodDelete, "/"+id, nil, "the answer does not say the repost was undone")
	if errors.Is(err, providers.ErrNotFound) {
		return nil
	}
	return err
}

// retweetCall sends a retweet or its undoing to /2/users/:me/retweets+tail
// and checks that the answer says something happened (data), else names
// the problems X gave or says unclear.
func (p *Provider) retweetCall(ctx context.Context, op, method, tail string, body any, unclear string) error {
	me, err := p.self(ctx, op)
	if err != nil {
		return err
	}
	var r retweetResponse
	if err := p.call(ctx, op, method, "/2/users/"+me.ID+"/retweets"+tail, nil, body, &r); err != nil {
		return err
	}
	if r.Data == nil {
		if len(r.Errors) > 0 {
			return p.problemsError(op, r.Errors)
		}
		return p.malformed(op, unclear)
	}
	return nil
}

func alreadyReposted(e *providers.Error) bool {
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "already retweeted") || strings.Contains(m, "already reposted") ||
		strings.Contains(m, "code "+strconv.Itoa(codeAlreadyRT))
}

// reconcileSkew widens FindPublished's window for clock differences
// between this host and X.
const reconcileSkew = 2 * time.Minute

// FindPublished looks through the account's own posts made since (one
// request: GET /2/users/:id/tweets with start_time, up to 100 posts) for
// one whose text, with X's t.co links expanded, is d.Text and which replies
// to d.ReplyTo (or to nothing when that is empty). Whitespace runs count as
// one space, text is compared in NFC, and URLs are compared without their
// scheme and trailing slash, as X may add or drop them. Reposts are never
// a match.
func (p *Provider) FindPublished(ctx context.Context, d providers.Draft, since time.Time) (providers.Published, bool, error) {
	const op = "find published"
	me, err := p.self(ctx, op)
	if err != nil {
		return providers.Published{}, false, err
	}
	q := readQuery()
	q.Set("max_results", strconv.Itoa(catchUpSize))
	if !since.IsZero() {
		q.Set("start_time", timeParam(since.Add(-reconcileSkew)))
	}
	var r timelineResponse
	if err := p.call(ctx, op, http.MethodGet, "/2/users/"+me.ID+"/tweets", q, nil, &r); err != nil {
		return providers.Published{}, false, err
	}
	if len(r.Data) == 0 && len(r.Errors) > 0 && r.Meta.ResultCount == 0 {
		return providers.Published{}, false, p.problemsError(op, r.Errors)
	}
	want := comparable(d.Text)
	c := p.converter(r.Includes)
	for _, t := range r.Data {
		if !validID(t.ID) {
			continue
		}
		post := c.post(t)
		if post.RepostOf != nil {
			continue
		}
		parent := ""
		if post.ReplyTo != nil {
			parent = post.ReplyTo.ID
		}
		if parent != d.ReplyTo || comparable(post.Text) != want {
			continue
		}
		media := 0
		if t.Attachments != nil {
			media = len(t.Attachments.MediaKeys)
		}
		if media != len(d.MediaIDs) {
			continue
		}
		return providers.Published{ID: t.ID, URL: statusURL(me.Username, t.ID), Created: post.Created}, true, nil
	}
	return providers.Published{}, false, nil
}

// comparable is text in the form FindPublished compares: NFC, whitespace
// runs as one space, URLs without scheme and trailing slash.
func comparable(s string) string {
	fields := strings.FieldsFunc(norm.NFC.String(s), unicode.IsSpace)
	for i, f := range fields {
		fields[i] = comparableURL(f)
	}
	return strings.Join(fields, " ")
}

func comparableURL(f string) string {
	lower := strings.ToLower(f)
	for _, scheme := range []string{"https://", "http://"} {
		if i := strings.Index(lower, scheme); i >= 0 {
			rest := f[i+len(scheme):]
			if u, err := url.Parse("http://" + rest); err == nil && u.Host != "" {
				// Host case and path escaping are X's to change
				// ("/ü" comes back as "/%C3%BC").
				canon := strings.ToLower(u.Host) + u.EscapedPath()
				if u.RawQuery != "" {
					canon += "?" + u.RawQuery
				}
				if u.Fragment != "" {
					canon += "#" + u.EscapedFragment()
				}
				rest = strings.TrimSuffix(canon, "/")
			}
			return f[:i] + rest
		}
	}
	return f
}
