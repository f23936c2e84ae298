package mastodon

import (
	"github.com/dualpower/dualpower/providers"
)

// maxNesting bounds how deep reposts and quotes are followed (a repost of a
// quote of a post is two levels).
const maxNesting = 3

// toPost turns a status into the network-neutral Post. self is the
// account of the token (reply and repost links to it are Self); localDomain
// completes local accounts' handles.
func (p *Provider) toPost(s *status, self account, localDomain string) *providers.Post {
	return p.toPostDepth(s, self, localDomain, 0)
}

func (p *Provider) toPostDepth(s *status, self account, localDomain string, depth int) *providers.Post {
	r := htmlToText(s.Content, htmlContext{Mentions: s.Mentions, LocalDomain: localDomain})
	post := &providers.Post{
		Ref:            providers.Ref{Account: p.account, ID: s.ID},
		Text:           r.Text,
		Mentions:       r.Mentions,
		Links:          r.Links,
		Tags:           r.Tags,
		ContentWarning: s.SpoilerText,
		Sensitive:      s.Sensitive,
		Visibility:     visibilityOf(s.Visibility),
		Created:        s.CreatedAt,
		URL:            s.URI,
	}
	if s.URL != nil && *s.URL != "" {
		post.URL = *s.URL
	}
	if s.Language != nil {
		post.Language = *s.Language
	}
	if s.EditedAt != nil {
		post.Edited = *s.EditedAt
	}
	for _, a := range s.MediaAttachments {
		if m, ok := mediaOf(a, s.Sensitive); ok {
			post.Media = append(post.Media, m)
		}
	}
	if s.InReplyToID != nil && *s.InReplyToID != "" {
		link := &providers.PostLink{ID: *s.InReplyToID}
		if s.InReplyToAccountID != nil {
			switch id := *s.InReplyToAccountID; {
			case id == self.ID && id != "":
				link.Self = true
				link.Author = fullAcct(self.Acct, localDomain)
			default:
				for _, m := range s.Mentions {
					if m.ID == id {
						link.Author = fullAcct(m.Acct, localDomain)
						break
					}
				}
			}
		}
		post.ReplyTo = link
	}
	if depth >= maxNesting {
		return post
	}
	if b := s.Reblog; b != nil && b.ID != "" {
		post.RepostOf = &providers.PostLink{
			ID:     b.ID,
			Self:   b.Account.ID != "" && b.Account.ID == self.ID,
			Author: fullAcct(b.Account.Acct, localDomain),
			URL:    urlOf(b),
			Post:   p.toPostDepth(b, self, localDomain, depth+1),
		}
	}
	if q := s.Quote; q != nil {
		switch {
		case q.QuotedStatus != nil && q.QuotedStatus.ID != "":
			qs := q.QuotedStatus
			post.QuoteOf = &providers.PostLink{
				ID:     qs.ID,
				Self:   qs.Account.ID != "" && qs.Account.ID == self.ID,
				Author: fullAcct(qs.Account.Acct, localDomain),
				URL:    urlOf(qs),
				Post:   p.toPostDepth(qs, self, localDomain, depth+1),
			}
		case q.QuotedStatusID != nil && *q.QuotedStatusID != "":
			post.QuoteOf = &providers.PostLink{ID: *q.QuotedStatusID}
		}
	}
	return post
}

func urlOf(s *status) string {
	if s.URL != nil && *s.URL != "" {
		return *s.URL
	}
	return s.URI
}

// visibilityOf maps a status's visibility; a visibility other servers add
// (Akkoma's "local" and "list", GoToSocial's "mutuals_only") is taken as
// followers-only, so that it is never mirrored as public by mistake.
func visibilityOf(v string) providers.Visibility {
	if pv := providers.Visibility(v); pv.Valid() {
		return pv
	}
	return providers.Private
}

// mediaOf maps an attachment; "unknown" attachments (remote files the
// server could not fetch) are left out.
func mediaOf(a attachment, sensitive bool) (providers.Media, bool) {
	m := providers.Media{Sensitive: sensitive}
	switch a.Type {
	case "image":
		m.Type = providers.Image
	case "gifv":
		m.Type = providers.GIF
	case "video":
		m.Type = providers.Video
	case "audio":
		m.Type = providers.Audio
	default:
		return m, false
	}
	switch {
	case a.URL != nil && *a.URL != "":
		m.URL = *a.URL
	case a.RemoteURL != nil && *a.RemoteURL != "":
		m.URL = *a.RemoteURL
	default:
		return m, false
	}
	if a.PreviewURL != nil {
		m.PreviewURL = *a.PreviewURL
	}
	if a.Description != nil {
		m.Alt = *a.Description
	}
	if a.Meta != nil && a.Meta.Focus != nil {
		if x := a.Meta.Focus.X; x != nil && *x >= -1 && *x <= 1 {
			m.FocusX = *x
		}
		if y := a.Meta.Focus.Y; y != nil && *y >= -1 && *y <= 1 {
			m.FocusY = *y
		}
	}
	return m, true
}
