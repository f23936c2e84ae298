package twittertest

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dualpower/dualpower/providers/internal/twittertext"

	"github.com/dualpower/dualpower/providers/providertest"
)

// maxEdits is how often X lets a post be edited.
const maxEdits = 5

// User is one account on the fake X. Its methods act as the user would in
// X's own app, not through the API: no OAuth, no rate limit, but X's rules
// (duplicates, length, edit window) still hold.
type User struct {
	s           *Server
	id          string
	username    string
	name        string
	created     time.Time
	token       string
	tokenSecret string

	timeline []*tweet       // every post and version, in ID order
	texts    map[string]int // live posts' texts, for duplicate detection
	retweets map[string]*tweet
	live     int
	daily    window
}

// ID is the user's numeric ID.
func (u *User) ID() string { return u.id }

// Username is the user's handle without '@'.
func (u *User) Username() string { return u.username }

// Token is the user's access token.
func (u *User) Token() string { return u.token }

// TokenSecret is the user's access token secret.
func (u *User) TokenSecret() string { return u.tokenSecret }

// tweet is one post, or one version of an edited post.
type tweet struct {
	id     string
	n      uint64
	author *User
	source string   // the text as the author wrote it
	text   string   // the text as X shows it (unescaped): t.co links, media link
	urls   []urlEnt // URL entities in text, byte offsets

	replyTo   *tweet
	quote     *tweet
	retweetOf *tweet
	convID    string
	media     []*media
	created   time.Time
	chain     *editChain
	retweets  []*tweet // retweets of this post, which go when it goes
	deleted   bool
	sensitive bool
	poll      bool
	// replySettings is who may reply ("" for everyone): following,
	// mentionedUsers, subscribers or verified.
	replySettings string
}

type urlEnt struct {
	start, end int // byte offsets in tweet.text
	tco        string
	expanded   string
	display    string
	mediaKey   string
}

// editChain is shared by every version of a post.
type editChain struct {
	ids   []string
	first time.Time
}

func (t *tweet) latest() bool { return t.chain.ids[len(t.chain.ids)-1] == t.id }

// editEligible says whether X lets this kind of post be edited at all:
// not a retweet, not a poll, not a reply to someone else.
func (t *tweet) editEligible() bool {
	return t.retweetOf == nil && !t.poll && (t.replyTo == nil || t.replyTo.author == t.author)
}
func (t *tweet) live() bool { return !t.deleted && t.latest() }

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,15}$`)

// CreateUser adds a user with a fresh access token and returns it. Usernames
// are unique (case-insensitively); creating one that exists returns it. A
// username X would not allow (1–15 letters, digits, '_') fails the test,
// or, on a server made by Start, is logged and returns nil.
func (s *Server) CreateUser(username string) *User {
	u, err := s.TryCreateUser(username)
	if err != nil {
		s.rep.Fatalf("%v", err)
		return nil
	}
	return u
}

// TryCreateUser is CreateUser returning an error for a username X would
// not allow.
func (s *Server) TryCreateUser(username string) (*User, error) {
	if !usernameRE.MatchString(username) {
		return nil, fmt.Errorf("twittertest: X does not allow the username %q", username)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[strings.ToLower(username)]; u != nil {
		return u, nil
	}
	s.seq++
	id := fmt.Sprintf("%d", 1400000000000000000+s.seq*7919)
	u := &User{
		s:        s,
		id:       id,
		username: username,
		name:     strings.ToUpper(username[:1]) + username[1:],
		created:  s.now().Add(-24 * time.Hour * 365),
		texts:    map[string]int{},
		retweets: map[string]*tweet{},
	}
	u.token = id + "-" + randToken(s.seed+id, "token", 30)
	u.tokenSecret = randToken(s.seed+id, "token-secret", 45)
	s.users[strings.ToLower(username)] = u
	s.usersByID[id] = u
	s.tokens[u.token] = u
	s.secrets[u.token] = u.tokenSecret
	return u, nil
}

// User returns the user with this username, or nil.
func (s *Server) User(username string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[strings.ToLower(username)]
}

// MediaOpts is one attachment of a post made with Post.
type MediaOpts struct {
	Type    string // "photo", "animated_gif" or "video"
	Data    []byte
	AltText string
}

// PostOpts is a post made with Post.
type PostOpts struct {
	Text    string
	ReplyTo string
	QuoteOf string
	Media   []MediaOpts
	// Sensitive marks the post's media possibly sensitive.
	Sensitive bool
	// ReplySettings limits who may reply: "following", "mentionedUsers",
	// "subscribers" or "verified"; "" lets everyone.
	ReplySettings string
}

// createReq is a post to create, from the API or a helper.
type createReq struct {
	text          string
	replySettings string
	replyTo       string
	quote         string
	mediaIDs      []string
	poll          bool
	card          bool
	editOf        string
	viaAPI        bool
}

// TryPost posts as u would in X's app and returns the new post's ID, or
// the error X would show.
func (u *User) TryPost(o PostOpts) (string, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	req := createReq{text: o.Text, replyTo: o.ReplyTo, quote: o.QuoteOf, replySettings: o.ReplySettings}
	for _, m := range o.Media {
		md, err := s.addMediaLocked(u, m)
		if err != nil {
			return "", err
		}
		req.mediaIDs = append(req.mediaIDs, md.id)
	}
	t, rej := s.createLocked(u, req)
	if rej != nil {
		return "", rej
	}
	t.sensitive = o.Sensitive
	return t.id, nil
}

// Post posts as u and returns the new post's ID; a refusal fails the test
// (on a server made by Start: is logged) and returns "".
func (u *User) Post(o PostOpts) string {
	id, err := u.TryPost(o)
	if err != nil {
		u.s.rep.Errorf("twittertest: %s posting %q: %v", u.username, o.Text, err)
	}
	return id
}

// TryRetweet retweets post id as u and returns the retweet's ID, or the
// error X would show.
func (u *User) TryRetweet(id string) (string, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	t, rej := s.retweetLocked(u, id)
	if rej != nil {
		return "", rej
	}
	return t.id, nil
}

// Retweet retweets post id as u and returns the retweet's ID; a refusal
// fails the test (on a server made by Start: is logged) and returns "".
func (u *User) Retweet(id string) string {
	rid, err := u.TryRetweet(id)
	if err != nil {
		u.s.rep.Errorf("twittertest: %s retweeting %s: %v", u.username, id, err)
	}
	return rid
}

// TryEdit edits post id as u would in X's app (edits there need no API
// access level, but the one-hour window and five edits hold) and returns
// the new version's ID.
func (u *User) TryEdit(id, text string) (string, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.tweets[id]
	req := createReq{text: text, editOf: id}
	if prev != nil {
		for _, m := range prev.media {
			req.mediaIDs = append(req.mediaIDs, m.id)
		}
	}
	t, rej := s.createLocked(u, req)
	if rej != nil {
		return "", rej
	}
	return t.id, nil
}

// Edit edits post id as u and returns the new version's ID; a refusal
// fails the test (on a server made by Start: is logged) and returns "".
func (u *User) Edit(id, text string) string {
	nid, err := u.TryEdit(id, text)
	if err != nil {
		u.s.rep.Errorf("twittertest: %s editing %s: %v", u.username, id, err)
	}
	return nid
}

// TryDelete deletes post id (and every version of it) as u, or returns the
// error X would show.
func (u *User) TryDelete(id string) error {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if rej := s.deleteLocked(u, id); rej != nil {
		return rej
	}
	return nil
}

// Delete deletes post id (and every version of it) as u; a refusal fails
// the test (on a server made by Start: is logged).
func (u *User) Delete(id string) {
	if err := u.TryDelete(id); err != nil {
		u.s.rep.Errorf("twittertest: %s deleting %s: %v", u.username, id, err)
	}
}

// Post posts as alice.
func (s *Server) Post(o PostOpts) string { return s.alice.Post(o) }

// Retweet retweets as alice.
func (s *Server) Retweet(id string) string { return s.alice.Retweet(id) }

// Edit edits as alice.
func (s *Server) Edit(id, text string) string { return s.alice.Edit(id, text) }

// Delete deletes as alice.
func (s *Server) Delete(id string) { s.alice.Delete(id) }

// PostAsUser posts text as alice, replying to replyTo when it is set.
func (s *Server) PostAsUser(text, replyTo string) string {
	return s.alice.Post(PostOpts{Text: text, ReplyTo: replyTo})
}

// EditAsUser edits post id as alice and returns the new version's ID.
func (s *Server) EditAsUser(id, text string) string { return s.alice.Edit(id, text) }

// DeleteAsUser deletes post id as alice.
func (s *Server) DeleteAsUser(id string) { s.alice.Delete(id) }

// Lookup returns what the fake holds for post id, any version of it; ok is
// false for an unknown or deleted post. EditCount is the version's place in
// its edit history (0 for the original).
func (s *Server) Lookup(id string) (providertest.Stored, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tweets[id]
	if t == nil || t.deleted {
		return providertest.Stored{}, false
	}
	st := providertest.Stored{ID: t.id, Text: t.source, Visibility: "public", Sensitive: t.sensitive}
	if t.replyTo != nil {
		st.ReplyTo = t.replyTo.id
	}
	if t.retweetOf != nil {
		st.RepostOf = t.retweetOf.id
	}
	for i, v := range t.chain.ids {
		if v == t.id {
			st.EditCount = i
		}
	}
	for _, m := range t.media {
		st.MediaAlts = append(st.MediaAlts, m.alt)
		st.MediaTypes = append(st.MediaTypes, map[string]string{"photo": "image", "animated_gif": "gif", "video": "video"}[m.typ])
	}
	return st, true
}

// Posts counts alice's live posts (the newest version of each, retweets
// included).
func (s *Server) Posts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.alice.live
}

// PostCount counts u's live posts.
func (u *User) PostCount() int {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return u.live
}

// ---- the core, shared by the API and the helpers; callers hold s.mu ----

const (
	msgDuplicate       = "You are not allowed to create a Tweet with duplicate content."
	msgReplyNotAllowed = "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to."
	msgReplyGone       = "You attempted to reply to a Tweet that is deleted or not visible to you."
	msgQuoteGone       = "You attempted to quote a Tweet that is deleted or not visible to you."
	msgMediaInvalid    = "Your media IDs are invalid."
	msgQuoteNotAllowed = "You are not permitted to create a Quote Post with quote_tweet_id: it requires the Enterprise plan."
)

// dupKey is the text duplicate detection compares.
func dupKey(text string) string { return strings.TrimSpace(text) }

func (s *Server) createLocked(u *User, req createReq) (*tweet, *rejection) {
	var prev *tweet
	if req.editOf != "" {
		if req.viaAPI && !s.opt.CanEdit {
			return nil, rejectForbidden("You are not permitted to edit this Post.")
		}
		prev = s.tweets[req.editOf]
		switch {
		case prev == nil || prev.deleted:
			return nil, rejectForbidden("You attempted to edit a Tweet that is deleted or not visible to you.")
		case prev.author != u:
			return nil, rejectForbidden("You are not permitted to edit this Post.")
		case !prev.editEligible():
			return nil, rejectForbidden("This Post cannot be edited: reposts, polls and replies to others are not editable.")
		case !prev.latest():
			return nil, rejectForbidden("Only the latest version of a Post can be edited.")
		case !s.now().Before(prev.chain.first.Add(s.opt.EditWindow)):
			return nil, rejectForbidden("This Post is no longer editable: the edit window has passed.")
		case len(prev.chain.ids)-1 >= maxEdits:
			return nil, rejectForbidden("This Post has been edited the maximum number of times.")
		}
	}
	blank := strings.TrimFunc(req.text, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) == ""
	if blank && len(req.mediaIDs) == 0 && !req.poll && !req.card {
		return nil, s.rejectParam("text", req.text, "Post text must not be empty unless the Post has media.")
	}
	if len(req.mediaIDs) > 0 && (req.poll || req.quote != "" || req.card) {
		return nil, s.rejectInvalid(fieldError{Message: "media is mutually exclusive with poll, quote_tweet_id and card_uri."})
	}
	if req.poll && (req.quote != "" || req.card) {
		return nil, s.rejectInvalid(fieldError{Message: "poll is mutually exclusive with quote_tweet_id and card_uri."})
	}
	if n := weightedLength(req.text); n > s.opt.MaxWeighted {
		return nil, s.rejectParam("text", req.text, fmt.Sprintf("Your Tweet text is too long (weighted length %d, at most %d). For more information on how X determines text length, see https://github.com/twitter/twitter-text.", n, s.opt.MaxWeighted))
	}
	if !blank && !twittertext.Parse(req.text, twittertext.V3).Valid && weightedLength(req.text) <= 280 {
		return nil, s.rejectParam("text", req.text, "Your Tweet text contains characters X does not accept.")
	}
	if k := dupKey(req.text); k != "" && u.texts[k] > 0 && (prev == nil || dupKey(prev.source) != k) {
		return nil, rejectForbidden(msgDuplicate)
	}
	var parent, quote *tweet
	if prev != nil {
		parent, quote = prev.replyTo, prev.quote
	} else {
		if req.replyTo != "" {
			parent = s.tweets[req.replyTo]
			if parent != nil && parent.retweetOf != nil {
				parent = parent.retweetOf
			}
			if parent == nil || parent.deleted {
				return nil, rejectForbidden(msgReplyGone)
			}
			if req.viaAPI && s.replyNotAllowed || !s.mayReplyLocked(u, parent) {
				return nil, rejectForbidden(msgReplyNotAllowed)
			}
		}
		if req.quote != "" {
			if req.viaAPI && !s.opt.CanQuote {
				return nil, rejectForbidden(msgQuoteNotAllowed)
			}
			quote = s.tweets[req.quote]
			if quote == nil || quote.deleted {
				return nil, rejectForbidden(msgQuoteGone)
			}
		}
	}
	var media []*media
	for _, id := range req.mediaIDs {
		m := s.media[id]
		if m == nil || m.owner != u || m.state != stateSucceeded || m.category == "subtitles" || !s.now().Before(m.expires) {
			return nil, s.rejectParam("media.media_ids", id, msgMediaInvalid)
		}
		media = append(media, m)
	}
	if len(media) > 1 {
		for _, m := range media {
			if m.typ != "photo" {
				return nil, s.rejectInvalid(fieldError{Message: "A Post can carry up to 4 photos, or 1 video, or 1 GIF."})
			}
		}
	}

	id, n := s.newID()
	t := &tweet{id: id, n: n, author: u, source: req.text, replyTo: parent, quote: quote, media: media, created: s.now(), poll: req.poll || prev != nil && prev.poll, replySettings: req.replySettings}
	if prev != nil {
		t.replySettings = prev.replySettings
	}
	for _, m := range media {
		t.sensitive = t.sensitive || m.sensitive
	}
	t.text, t.urls = s.shorten(req.text)
	if len(media) > 0 {
		kind := "photo"
		if media[0].typ != "photo" {
			kind = "video"
		}
		tco := s.tcoLocked()
		start := len(t.text)
		if t.text != "" {
			t.text += " "
			start++
		}
		t.text += tco
		t.urls = append(t.urls, urlEnt{
			start: start, end: len(t.text), tco: tco,
			expanded: fmt.Sprintf("https://x.com/%s/status/%s/%s/1", u.username, id, kind),
			display:  "pic.x.com/" + strings.TrimPrefix(tco, "https://t.co/"),
			mediaKey: media[0].key,
		})
	}
	switch {
	case prev != nil:
		t.convID = prev.convID
		t.chain = prev.chain
		t.chain.ids = append(t.chain.ids, id)
		t.sensitive = t.sensitive || prev.sensitive
		if k := dupKey(prev.source); k != "" {
			u.texts[k]--
		}
		u.live-- // the new version replaces the old one
	case parent != nil:
		t.convID = parent.convID
	default:
		t.convID = id
	}
	if t.chain == nil {
		t.chain = &editChain{ids: []string{id}, first: t.created}
	}
	s.tweets[id] = t
	u.timeline = append(u.timeline, t)
	u.live++
	if k := dupKey(req.text); k != "" {
		u.texts[k]++
	}
	return t, nil
}

// mayReplyLocked applies the reply settings of the conversation's first
// post, as X does: its author may always reply; with "mentionedUsers" so
// may the users it mentions; "following", "subscribers" and "verified"
// need a relation the fake does not model, so only the author may.
func (s *Server) mayReplyLocked(u *User, parent *tweet) bool {
	root := s.tweets[parent.convID]
	if root == nil {
		root = parent
	}
	if root.replySettings == "" || root.replySettings == "everyone" || root.author == u {
		return true
	}
	if root.replySettings == "mentionedUsers" {
		for _, m := range findMentions(root.source) {
			if strings.EqualFold(m.value, u.username) {
				return true
			}
		}
	}
	return false
}

// shorten replaces every URL in text with a fresh t.co link, as X does.
func (s *Server) shorten(text string) (string, []urlEnt) {
	var b strings.Builder
	var ents []urlEnt
	last := 0
	for _, sp := range findURLs(text) {
		b.WriteString(text[last:sp.start])
		tco := s.tcoLocked()
		start := b.Len()
		b.WriteString(tco)
		expanded := sp.value
		if !strings.Contains(expanded, "://") {
			expanded = "http://" + expanded // X expands a bare domain to http
		}
		ents = append(ents, urlEnt{start: start, end: b.Len(), tco: tco, expanded: expanded, display: displayURL(sp.value)})
		last = sp.end
	}
	b.WriteString(text[last:])
	return b.String(), ents
}

// tcoLocked makes a fresh t.co link of X's shape: https://t.co/ and ten
// letters and digits.
func (s *Server) tcoLocked() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	s.seq++
	n := (s.seq * 0x9E3779B97F4A7C15) % 839299365868340224 // 62^10
	b := make([]byte, 10)
	for i := range b {
		b[i] = alphabet[n%62]
		n /= 62
	}
	return "https://t.co/" + string(b)
}

// retweetLocked retweets src as u. Retweeting what u already retweeted
// returns the existing retweet, as X answers "retweeted": true again.
func (s *Server) retweetLocked(u *User, srcID string) (*tweet, *rejection) {
	src := s.tweets[srcID]
	if src != nil && src.retweetOf != nil {
		src = src.retweetOf
	}
	if src == nil || src.deleted {
		return nil, rejectForbidden("You cannot Retweet a Tweet that is deleted or not visible to you.")
	}
	if rt := u.retweets[src.id]; rt != nil && !rt.deleted {
		return rt, nil
	}
	prefix := "RT @" + src.author.username + ": "
	text := prefix + src.text
	if utf8.RuneCountInString(text) > 140 {
		r := []rune(text)
		text = string(r[:139]) + "…"
	}
	id, n := s.newID()
	t := &tweet{id: id, n: n, author: u, source: text, text: text, retweetOf: src, created: s.now(), media: src.media, sensitive: src.sensitive}
	for _, e := range src.urls {
		e.start += len(prefix)
		e.end += len(prefix)
		if e.end <= len(text) {
			t.urls = append(t.urls, e)
		}
	}
	t.convID = id
	t.chain = &editChain{ids: []string{id}, first: t.created}
	s.tweets[id] = t
	u.timeline = append(u.timeline, t)
	u.retweets[src.id] = t
	src.retweets = append(src.retweets, t)
	u.live++
	return t, nil
}

// unretweetLocked undoes u's retweet of src, if any.
func (s *Server) unretweetLocked(u *User, srcID string) {
	src := s.tweets[srcID]
	if src != nil && src.retweetOf != nil {
		src = src.retweetOf
	}
	if src == nil {
		return
	}
	if rt := u.retweets[src.id]; rt != nil && !rt.deleted {
		rt.deleted = true
		u.live--
		delete(u.retweets, src.id)
	}
}

// deleteLocked deletes post id and every version of it.
func (s *Server) deleteLocked(u *User, id string) *rejection {
	t := s.tweets[id]
	if t == nil || t.deleted {
		return &rejection{http.StatusNotFound, s.notFoundProblem("id", id, "tweet")}
	}
	if t.author != u {
		return rejectForbidden("You are not allowed to delete a Tweet you did not author.")
	}
	for _, vid := range t.chain.ids {
		v := s.tweets[vid]
		if v.deleted {
			continue
		}
		if v.latest() {
			u.live--
			if k := dupKey(v.source); k != "" && v.retweetOf == nil {
				u.texts[k]--
			}
		}
		v.deleted = true
		// Retweets of a deleted post disappear with it.
		for _, rt := range v.retweets {
			if !rt.deleted {
				rt.deleted = true
				rt.author.live--
				delete(rt.author.retweets, v.id)
			}
		}
	}
	if t.retweetOf != nil {
		delete(u.retweets, t.retweetOf.id)
	}
	return nil
}
