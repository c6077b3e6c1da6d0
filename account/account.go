// Package account owns people: registration, passwords, sessions, public
// profiles and the follow graph.
package account

import (
	"time"
)

// User is a registered person. Email is private to the user. AvatarURL is
// nil for a user without an avatar.
type User struct {
	ID          string    `json:"id"`
	Email       string    `json:"email,omitempty"`
	Handle      string    `json:"handle"`
	DisplayName string    `json:"display_name"`
	Bio         string    `json:"bio"`
	AvatarURL   *string   `json:"avatar_url"`
	CreatedAt   time.Time `json:"created_at"`
}

// Public returns u without its private fields.
func (u User) Public() User {
	u.Email = ""
	return u
}

// Profile is what anyone may see of a user, with follow counts. IsFollowing
// says whether the viewer follows the user (false for anonymous viewers).
type Profile struct {
	User
	FollowerCount  int  `json:"follower_count"`
	FollowingCount int  `json:"following_count"`
	IsFollowing    bool `json:"is_following"`
}

// Registration is the input of Register.
type Registration struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	Handle      string `json:"handle"`
	DisplayName string `json:"display_name"`
}

// ProfilePatch is the input of UpdateProfile: nil fields are left as they are.
type ProfilePatch struct {
	DisplayName *string `json:"display_name"`
	Bio         *string `json:"bio"`
}

// Client describes where a request came from, for throttling and the session list.
type Client struct {
	IP        string
	UserAgent string
}

// Session is a signed-in device. Token is set only when the session is created:
// afterwards the service knows just its hash.
type Session struct {
	Token     string    `json:"-"`
	UserID    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UserAgent string    `json:"user_agent"`
	IP        string    `json:"ip"`
}

// Export is everything the service keeps about one user, for GET /me/export.
type Export struct {
	User      User      `json:"user"`
	Following []User    `json:"following"`
	Followers []User    `json:"followers"`
	Sessions  []Session `json:"sessions"`
	Blocks    []User    `json:"blocks"`
}
