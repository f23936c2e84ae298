package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	gomasto "github.com/mattn/go-mastodon"

	"github.com/dualpower/dualpower/providers"
)

// reconcileSlack is how much earlier than since a status may be dated and
// still match in FindPublished, for the clocks of server and host.
const reconcileSlack = 2 * time.Minute

// Publish creates a status (POST /api/v1/statuses, through go-mastodon)
// with d.Key as Idempotency-Key, so that Mastodon answers a retry with the
// status the first attempt made (GoToSocial ignores the key: see
// FindPublished). The visibility is always sent (public when d does not
// say), as servers differ in their default.
//
// Before anything is sent, the last guard: a Text that would mention (as
// Mastodon links "@user" and "@user@host") anyone not in d.Mentions is
// refused with a Rejected/ReasonInvalid error. A reply whose parent is gone
// is Rejected/ReasonReplyNotAllowed.
func (p *Provider) Publish(ctx context.Context, d providers.Draft) (providers.Published, error) {
	const op = "publish"
	vis, err := draftVisibility(op, d)
	if err != nil {
		return providers.Published{}, err
	}
	if err := p.guardMentions(ctx, op, d); err != nil {
		return providers.Published{}, err
	}
	if d.ReplyTo != "" && !validID(d.ReplyTo) {
		return providers.Published{}, &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonReplyNotAllowed, Network: network, Op: op, Message: "reply-to is not a status ID"}
	}
	toot := &gomasto.Toot{
		Status:      d.Text,
		InReplyToID: gomasto.ID(d.ReplyTo),
		Sensitive:   d.Sensitive,
		SpoilerText: d.ContentWarning,
		Visibility:  string(vis),
		Language:    d.Language,
	}
	for _, id := range d.MediaIDs {
		toot.MediaIDs = append(toot.MediaIDs, gomasto.ID(id))
	}
	st, err := p.client.PostStatus(withIdempotencyKey(ctx, d.Key), toot)
	if err != nil {
		err = p.classify(ctx, op, nil, err)
		var pe *providers.Error
		if d.ReplyTo != "" && errors.As(err, &pe) && pe.Kind == providers.NotFound {
			// Mastodon: 404 "The post you are trying to reply to does not
			// appear to exist".
			pe.Kind, pe.Reason = providers.Rejected, providers.ReasonReplyNotAllowed
		}
		return providers.Published{}, err
	}
	if st.ID == "" {
		return providers.Published{}, &providers.Error{Kind: providers.Transient, Network: network, Op: op, Message: "answer without a status ID"}
	}
	return providers.Published{ID: string(st.ID), URL: st.URL, Created: st.CreatedAt}, nil
}

func draftVisibility(op string, d providers.Draft) (providers.Visibility, error) {
	if d.Visibility == "" {
		return providers.Public, nil
	}
	if !d.Visibility.Valid() {
		return "", &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: network, Op: op,
			Message: fmt.Sprintf("unknown visibility %q", string(d.Visibility))}
	}
	return d.Visibility, nil
}

// guardMentions refuses a text that mentions anyone not in d.Mentions. A
// local mention "@bob" matches "bob@<domain>": the instance's domain is
// learned first (Limits, cached) when it is not known yet.
func (p *Provider) guardMentions(ctx context.Context, op string, d providers.Draft) error {
	if len(findMentions(d.Text))+len(findMentions(d.ContentWarning)) == 0 {
		return nil
	}
	p.mu.Lock()
	known := p.limits != nil
	p.mu.Unlock()
	if !known {
		_, _ = p.Limits(ctx) // best effort: the server's host stands in
	}
	bad := unexpectedMentions(d.Text, d.Mentions, p.localDomain())
	if cw := unexpectedMentions(d.ContentWarning, d.Mentions, p.localDomain()); len(cw) > 0 {
		bad = append(bad, cw...)
	}
	if len(bad) == 0 {
		return nil
	}
	return &providers.Error{Kind: providers.Rejected, Reason: providers.ReasonInvalid, Network: network, Op: op,
		Message: "text mentions accounts not meant to be mentioned: " + strings.Join(bad, ", ")}
}

// editBody is the JSON body of PUT /api/v1/statuses/:id. spoiler_text is
// always sent, so an edit can clear a content warning.
type editBody struct {
	Status          string           `json:"status"`
	SpoilerText     string           `json:"spoiler_text"`
	Sensitive       bool             `json:"sensitive"`
	Language        string           `json:"language,omitempty"`
	MediaIDs        []string         `json:"media_ids"`
	MediaAttributes []mediaAttribute `json:"media_attributes,omitempty"`
}

type mediaAttribute struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Focus       string `json:"focus,omitempty"`
}

// Edit replaces the text, content warning (an empty one clears it),
// sensitivity, language and media of status id (PUT /api/v1/statuses/:id);
// d.Media gives the media new alt texts and focal points in place
// (media_attributes). The mention guard applies as in Publish.
func (p *Provider) Edit(ctx context.Context, id string, d providers.Draft) (providers.Published, error) {
	const op = "edit"
	if !validID(id) {
		return providers.Published{}, &providers.Error{Kind: providers.NotFound, Network: network, Op: op, Message: "not a status ID"}
	}
	if err := p.guardMentions(ctx, op, d); err != nil {
		return providers.Published{}, err
	}
	body := editBody{Status: d.Text, SpoilerText: d.ContentWarning, Sensitive: d.Sensitive, Language: d.Language, MediaIDs: append([]string{}, d.MediaIDs...)}
	for i, m := range d.Media {
		if i >= len(d.MediaIDs) {
			break
		}
		a := mediaAttribute{ID: d.MediaIDs[i], Description: m.Alt}
		if m.FocusX != 0 || m.FocusY != 0 {
			a.Focus = focusString(m.FocusX, m.FocusY)
		}
		body.MediaAttributes = append(body.MediaAttributes, a)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return providers.Published{}, fmt.Errorf("mastodon: edit: %w", err)
	}
	var st status
	if _, err := p.do(ctx, op, http.MethodPut, "/api/v1/statuses/"+url.PathEscape(id), nil, bytes.NewReader(b), "application/json", &st); err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) && pe.Kind == providers.Rejected && pe.Status == http.StatusForbidden {
			pe.Reason = providers.ReasonEditDenied // not ours to edit
		}
		return providers.Published{}, err
	}
	if st.ID == "" {
		st.ID = id
	}
	out := providers.Published{ID: st.ID, URL: urlOf(&st), Created: st.CreatedAt}
	return out, nil
}

// Delete removes status id (through go-mastodon). A status that does not
// exist (any more) is success.
func (p *Provider) Delete(ctx context.Context, id string) error {
	if !validID(id) {
		return nil // no status can have this ID
	}
	err := p.client.DeleteStatus(ctx, gomasto.ID(id))
	if err == nil {
		return nil
	}
	err = p.classify(ctx, "delete", nil, err)
	if errors.Is(err, providers.ErrNotFound) {
		return nil
	}
	return err
}

// Repost boosts status id (POST /api/v1/statuses/:id/reblog, through
// go-mastodon). Boosting what is already boosted is success.
func (p *Provider) Repost(ctx context.Context, id string) error {
	if !validID(id) {
		return &providers.Error{Kind: providers.NotFound, Network: network, Op: "repost", Message: "not a status ID"}
	}
	_, err := p.client.Reblog(ctx, gomasto.ID(id))
	if err == nil {
		return nil
	}
	err = p.classify(ctx, "repost", nil, err)
	var pe *providers.Error
	if errors.As(err, &pe) && pe.Kind == providers.Rejected && strings.Contains(strings.ToLower(pe.Message), "already") {
		return nil
	}
	return err
}

// Unrepost undoes the account's reblog of status id (POST
// /api/v1/statuses/:id/unreblog). A status not reblogged answers with the
// status as it is; one that is gone is success too.
func (p *Provider) Unrepost(ctx context.Context, id string) error {
	const op = "unrepost"
	if !validID(id) {
		return nil // nothing of this account's can be reposted under such an ID
	}
	_, err := p.do(ctx, op, http.MethodPost, "/api/v1/statuses/"+url.PathEscape(id)+"/unreblog", nil, nil, "", nil)
	if errors.Is(err, providers.ErrNotFound) {
		return nil
	}
	return err
}

// Fetch reads status id (GET /api/v1/statuses/:id), or returns an *Error of
// kind NotFound.
func (p *Provider) Fetch(ctx context.Context, id string) (*providers.Post, error) {
	const op = "fetch"
	if !validID(id) {
		return nil, &providers.Error{Kind: providers.NotFound, Network: network, Op: op, Message: "not a status ID"}
	}
	me, err := p.me(ctx)
	if err != nil {
		return nil, err
	}
	var st status
	if _, err := p.do(ctx, op, http.MethodGet, "/api/v1/statuses/"+url.PathEscape(id), nil, nil, "", &st); err != nil {
		return nil, err
	}
	if st.ID == "" {
		return nil, &providers.Error{Kind: providers.Transient, Network: network, Op: op, Message: "answer without a status ID"}
	}
	return p.toPost(&st, me, p.localDomain()), nil
}

// FindPublished looks at the account's newest page of statuses for one made
// at or after since (less two minutes for clock skew), not a repost, whose
// text is d.Text and which replies to d.ReplyTo (or to nothing when
// d.ReplyTo is empty). Texts are
// compared after the status's HTML is turned into text, with white space
// collapsed and mentions reduced to "@user" (Mastodon shows a local account
// without its domain). The oldest match wins: it is the first attempt's.
func (p *Provider) FindPublished(ctx context.Context, d providers.Draft, since time.Time) (providers.Published, bool, error) {
	const op = "reconcile"
	_, statuses, _, err := p.newestPage(ctx, op)
	if err != nil {
		return providers.Published{}, false, err
	}
	want := comparableText(d.Text)
	dom := p.localDomain()
	var found *status
	for i := range statuses {
		s := &statuses[i]
		if s.ID == "" || s.broken || s.Reblog != nil || s.CreatedAt.Before(since.Add(-reconcileSlack)) {
			continue
		}
		if replyTo := deref(s.InReplyToID); replyTo != d.ReplyTo {
			continue // a reply is another post than a standalone one
		}
		if comparableText(htmlToText(s.Content, htmlContext{Mentions: s.Mentions, LocalDomain: dom}).Text) != want {
			continue
		}
		if found == nil || s.CreatedAt.Before(found.CreatedAt) {
			found = s
		}
	}
	if found == nil {
		return providers.Published{}, false, nil
	}
	return providers.Published{ID: found.ID, URL: urlOf(found), Created: found.CreatedAt}, true, nil
}

// comparableText normalises a text for FindPublished: mentions become
// "@user" (lowercased), white space runs one space, no space at the ends.
func comparableText(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range findMentions(s) {
		b.WriteString(s[last:m.start])
		b.WriteString("@" + strings.ToLower(m.user))
		last = m.end
	}
	b.WriteString(s[last:])
	return strings.Join(strings.FieldsFunc(b.String(), unicode.IsSpace), " ")
}

// validID reports whether id can be put in a URL path as one segment: IDs
// are opaque, but never contain these.
func validID(id string) bool {
	return id != "" && id != "." && id != ".." && len(id) <= 128 && !strings.ContainsAny(id, "/?#%\\ \t\r\n")
}

func focusString(x, y float64) string {
	clamp := func(v float64) float64 { return max(-1, min(1, v)) }
	return strconv.FormatFloat(clamp(x), 'f', 2, 64) + "," + strconv.FormatFloat(clamp(y), 'f', 2, 64)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
