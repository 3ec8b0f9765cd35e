package suppression

import (
	"fmt"
	"math/bits"
	"strings"
)

// Channel is one way of reaching a subject. The values are bits so that a
// ChannelSet is their OR; they are part of the journal and snapshot
// formats: never renumber them.
type Channel uint8

const (
	Call  Channel = 1 << iota // voice calls, live or dialer
	SMS                       // text messages
	Email                     // e-mail
	Mail                      // postal mail
	Push                      // app push notifications
)

// ChannelSet is a set of channels (an OR of Channel bits).
type ChannelSet uint8

// AllChannels is every channel.
const AllChannels = ChannelSet(Call | SMS | Email | Mail | Push)

var channelNames = [...]struct {
	c    Channel
	name string
}{{Call, "call"}, {SMS, "sms"}, {Email, "email"}, {Mail, "mail"}, {Push, "push"}}

func (c Channel) String() string {
	for _, n := range channelNames {
		if n.c == c {
			return n.name
		}
	}
	return fmt.Sprintf("channel(%d)", uint8(c))
}

// Valid reports whether c is exactly one defined channel.
func (c Channel) Valid() bool {
	return c != 0 && ChannelSet(c)&^AllChannels == 0 && bits.OnesCount8(uint8(c)) == 1
}

// ParseChannel reads one channel name ("call", "sms", "email", "mail",
// "push", and the aliases "voice", "text", "e-mail", "post", "postal",
// "letter"), case-insensitively.
func ParseChannel(s string) (Channel, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "call", "voice", "phone":
		return Call, nil
	case "sms", "text":
		return SMS, nil
	case "email", "e-mail":
		return Email, nil
	case "mail", "post", "postal", "letter":
		return Mail, nil
	case "push":
		return Push, nil
	}
	return 0, fmt.Errorf("%w %q (want call, sms, email, mail or push)", ErrUnknownChannel, s)
}

// ParseChannels reads a comma-separated list of channels, or "all".
func ParseChannels(s string) (ChannelSet, error) {
	var set ChannelSet
	for f := range strings.SplitSeq(s, ",") {
		if strings.EqualFold(strings.TrimSpace(f), "all") {
			set |= AllChannels
			continue
		}
		c, err := ParseChannel(f)
		if err != nil {
			return 0, err
		}
		set |= ChannelSet(c)
	}
	return set, nil
}

// Has reports whether c is in the set.
func (s ChannelSet) Has(c Channel) bool { return s&ChannelSet(c) != 0 }

// Covers reports whether every channel of o is in s.
func (s ChannelSet) Covers(o ChannelSet) bool { return o&^s == 0 }

// Valid reports whether the set is non-empty and holds only defined
// channels.
func (s ChannelSet) Valid() bool { return s != 0 && s&^AllChannels == 0 }

// String writes the set as ParseChannels reads it: "all", or names in the
// fixed order call, sms, email, mail, push.
func (s ChannelSet) String() string {
	if s == AllChannels {
		return "all"
	}
	var b strings.Builder
	for _, n := range channelNames {
		if s.Has(n.c) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n.name)
		}
	}
	if rest := s &^ AllChannels; rest != 0 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "channels(%#x)", uint8(rest))
	}
	return b.String()
}
