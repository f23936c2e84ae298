package twitter

// Wire types of the X API v2, written by hand from
// shared/specs/x-api/openapi-2.159.json. Only the fields this adapter sends
// or reads are declared; unknown fields in answers are ignored.

// problem is an RFC 7807 Problem as X sends it, in an "errors" array of a
// 200 answer or as the whole body of an error answer. The v1-style
// {"code", "message"} objects the media and OAuth endpoints may send share
// the array, so their fields are declared here too.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Status int    `json:"status"`
	// ClientForbiddenProblem
	Reason string `json:"reason"`
	// UsageCapExceededProblem: "Daily" or "Monthly"
	Period string `json:"period"`
	// ResourceNotFoundProblem and friends
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	// v1 Error
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// errorBody is any error answer: a Problem at the top level, or an
// "errors" array of Problems or v1 errors.
type errorBody struct {
	problem
	Errors []problem `json:"errors"`
}

// user is the User object (only what we read).
type user struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// userResponse is Get2UsersMeResponse.
type userResponse struct {
	Data   *user     `json:"data"`
	Errors []problem `json:"errors"`
}

type urlEntity struct {
	Start       int    `json:"start"`
	End         int    `json:"end"`
	URL         string `json:"url"`
	ExpandedURL string `json:"expanded_url"`
	DisplayURL  string `json:"display_url"`
	MediaKey    string `json:"media_key"`
}

type mentionEntity struct {
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Username string `json:"username"`
	ID       string `json:"id"`
}

type hashtagEntity struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Tag   string `json:"tag"`
}

// entities is FullTextEntities (and note_tweet.entities).
type entities struct {
	URLs     []urlEntity     `json:"urls"`
	Mentions []mentionEntity `json:"mentions"`
	Hashtags []hashtagEntity `json:"hashtags"`
}

type referencedTweet struct {
	Type string `json:"type"` // "retweeted", "quoted", "replied_to"
	ID   string `json:"id"`
}

type noteTweet struct {
	Text     string    `json:"text"`
	Entities *entities `json:"entities"`
}

// tweet is the Tweet object with the fields tweetFields asks for.
type tweet struct {
	ID                  string            `json:"id"`
	Text                string            `json:"text"`
	AuthorID            string            `json:"author_id"`
	CreatedAt           string            `json:"created_at"`
	ConversationID      string            `json:"conversation_id"`
	InReplyToUserID     string            `json:"in_reply_to_user_id"`
	Lang                string            `json:"lang"`
	PossiblySensitive   bool              `json:"possibly_sensitive"`
	EditHistoryTweetIDs []string          `json:"edit_history_tweet_ids"`
	Entities            *entities         `json:"entities"`
	ReferencedTweets    []referencedTweet `json:"referenced_tweets"`
	NoteTweet           *noteTweet        `json:"note_tweet"`
	Attachments         *struct {
		MediaKeys []string `json:"media_keys"`
	} `json:"attachments"`
}

type variant struct {
	BitRate     int    `json:"bit_rate"`
	ContentType string `json:"content_type"`
	URL         string `json:"url"`
}

// media is the Media object (Photo, Video, AnimatedGif).
type media struct {
	MediaKey        string    `json:"media_key"`
	Type            string    `json:"type"` // "photo", "video", "animated_gif"
	URL             string    `json:"url"`
	PreviewImageURL string    `json:"preview_image_url"`
	AltText         string    `json:"alt_text"`
	Variants        []variant `json:"variants"`
}

// includes is Expansions.
type includes struct {
	Media  []media `json:"media"`
	Tweets []tweet `json:"tweets"`
	Users  []user  `json:"users"`
}

// timelineResponse is Get2UsersIdTweetsResponse.
type timelineResponse struct {
	Data     []tweet   `json:"data"`
	Includes includes  `json:"includes"`
	Errors   []problem `json:"errors"`
	Meta     struct {
		ResultCount int    `json:"result_count"`
		NewestID    string `json:"newest_id"`
		OldestID    string `json:"oldest_id"`
		NextToken   string `json:"next_token"`
	} `json:"meta"`
}

// tweetResponse is Get2TweetsIdResponse.
type tweetResponse struct {
	Data     *tweet    `json:"data"`
	Includes includes  `json:"includes"`
	Errors   []problem `json:"errors"`
}

// createRequest is TweetCreateRequest, limited to the fields we send.
type createRequest struct {
	Text        string         `json:"text,omitempty"`
	Reply       *createReply   `json:"reply,omitempty"`
	Media       *createMedia   `json:"media,omitempty"`
	EditOptions *createEditOpt `json:"edit_options,omitempty"`
}

type createReply struct {
	InReplyToTweetID string `json:"in_reply_to_tweet_id"`
}

type createMedia struct {
	MediaIDs []string `json:"media_ids"`
}

type createEditOpt struct {
	PreviousPostID string `json:"previous_post_id"`
}

// createResponse is TweetCreateResponse.
type createResponse struct {
	Data *struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	} `json:"data"`
	Errors []problem `json:"errors"`
}

// deleteResponse is TweetDeleteResponse.
type deleteResponse struct {
	Data *struct {
		Deleted bool `json:"deleted"`
	} `json:"data"`
	Errors []problem `json:"errors"`
}

// retweetRequest is UsersRetweetsCreateRequest.
type retweetRequest struct {
	TweetID string `json:"tweet_id"`
}

// retweetResponse is UsersRetweetsCreateResponse, and
// UsersRetweetsDeleteResponse (which has no id).
type retweetResponse struct {
	Data *struct {
		ID        string `json:"id"`
		Retweeted bool   `json:"retweeted"`
	} `json:"data"`
	Errors []problem `json:"errors"`
}

// processingInfo is ProcessingInfo. Error is not in the v2 spec but the
// media service has long sent it with state "failed"; it is read when
// present.
type processingInfo struct {
	State          string `json:"state"` // "pending", "in_progress", "succeeded", "failed"
	CheckAfterSecs int    `json:"check_after_secs"`
	ProgressPct    int    `json:"progress_percent"`
	Error          *struct {
		Code    int    `json:"code"`
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
}

// mediaUploadResponse is MediaUploadResponse (one-shot upload, initialize,
// finalize and status all answer with it).
type mediaUploadResponse struct {
	Data *struct {
		ID             string          `json:"id"`
		MediaKey       string          `json:"media_key"`
		Size           int64           `json:"size"`
		ExpiresAfter   int             `json:"expires_after_secs"`
		ProcessingInfo *processingInfo `json:"processing_info"`
	} `json:"data"`
	Errors []problem `json:"errors"`
}

// mediaInitRequest is MediaUploadConfigRequest.
type mediaInitRequest struct {
	MediaCategory string `json:"media_category"`
	MediaType     string `json:"media_type,omitempty"`
	TotalBytes    int64  `json:"total_bytes"`
}

// metadataRequest is MetadataCreateRequest, with the alt text and the
// sensitive-media warning only.
type metadataRequest struct {
	ID       string        `json:"id"`
	Metadata mediaMetadata `json:"metadata"`
}

type mediaMetadata struct {
	AltText   *altText          `json:"alt_text,omitempty"`
	Sensitive *sensitiveWarning `json:"sensitive_media_warning,omitempty"`
}

// altText is AltText.
type altText struct {
	Text string `json:"text"`
}

// sensitiveWarning is SensitiveMediaWarning.
type sensitiveWarning struct {
	AdultContent    bool `json:"adult_content"`
	GraphicViolence bool `json:"graphic_violence"`
	Other           bool `json:"other"`
}
