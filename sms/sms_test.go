package sms

import "testing"

func TestClassify(t *testing.T) {
	cases := map[string]Keyword{
		"STOP": Stop, " stop ": Stop, "Stop\n": Stop, "stopall": Stop, "UNSUBSCRIBE": Stop, "end": Stop, "Quit": Stop,
		"cancel": Stop, "REVOKE": Stop, "optout": Stop, "\tOptOut  ": Stop,
		"START": Start, "unstop": Start, " yes": Start,
		"HELP": Help, "info": Help,
		"stop please": None, "STOP!": None, "": None, "opt out": None, "no": None, "STOPP": None,
	}
	for in, want := range cases {
		if got := Classify(in); got != want {
			t.Errorf("Classify(%q) = %v, want %v", in, got, want)
		}
	}
}

// The example from Twilio's documentation of its signature scheme.
func TestSignatureKnownAnswer(t *testing.T) {
	params := map[string][]string{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"},
	}
	const url = "https://mycompany.com/myapp.php?foo=1&bar=2"
	got := Signature("12345", url, params)
	if got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("signature %q", got)
	}
	if !ValidSignature("12345", url, params, got) || ValidSignature("12345", url, params, "x"+got[1:]) || ValidSignature("other", url, params, got) {
		t.Fatal("ValidSignature")
	}
}

func TestReplyEscapes(t *testing.T) {
	got := string(Reply("Reply STOP <to> stop & more"))
	want := "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Message>Reply STOP &lt;to&gt; stop &amp; more</Message></Response>\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
}
